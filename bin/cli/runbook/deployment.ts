import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { AWS_CLIENT_CONFIG } from '../../../lambda/adapters/retry';
import { errorMessage } from '../../../lambda/core/errors';
import type { DeploymentInfo } from '../../../lib/parts/runbook';
import { EXIT, UserError } from '../io';

/** The SSM parameter a deployment publishes itself in. */
export function deploymentParameter(region: string, prefix?: string): string {
  return `/${prefix ?? process.env.SURGEGUARD_NAME_PREFIX ?? 'SurgeGuard'}/${region}/deployment`;
}

/**
 * What a region's deployment publishes of itself (runbook URLs, table, document bucket, fleets), read from its
 * parameter. A missing parameter or one that is not a deployment's JSON is a clear error naming it.
 */
export async function readDeployment(
  region: string,
  credentials: AwsCredentialIdentityProvider,
  prefix?: string,
): Promise<{ name: string; info: Partial<DeploymentInfo> }> {
  const name = deploymentParameter(region, prefix);
  let value: string | undefined;
  try {
    const res = await new SSMClient({ region, credentials, ...AWS_CLIENT_CONFIG }).send(
      new GetParameterCommand({ Name: name }),
    );
    value = res.Parameter?.Value;
  } catch (err) {
    if ((err as { name?: string }).name === 'ParameterNotFound')
      throw new UserError(
        `no SurgeGuard deployment in ${region}: parameter ${name} not found (deploy it, or pass --prefix, --stack or --url)`,
        EXIT.aws,
      );
    throw awsError(err, `cannot read ${name}`, 'pass --url, --function or --stack');
  }
  try {
    return { name, info: JSON.parse(value ?? '') as Partial<DeploymentInfo> };
  } catch {
    throw new UserError(`parameter ${name} is not the JSON a SurgeGuard deployment publishes`, EXIT.aws);
  }
}

/** Codes of failures to reach AWS at all, as Node and the SDK name them. */
const NETWORK = /ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|TimeoutError|NetworkingError/;

/** An SDK failure as the CLI reports it: network (AWS unreachable) or AWS (refused, missing, throttled). */
export function awsError(err: unknown, what: string, hint: string): UserError {
  const e = err as { name?: string; code?: string };
  const network = NETWORK.test(`${e.name ?? ''} ${e.code ?? ''} ${errorMessage(err)}`);
  return new UserError(`${what}: ${errorMessage(err)} (${hint})`, network ? EXIT.network : EXIT.aws);
}
