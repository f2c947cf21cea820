import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { main } from '../../bin/cli/main';
import { EXIT } from '../../bin/cli/io';
import { FunctionUrlTransport, resolveRegion } from '../../bin/cli/runbook/transport';

const ssm = mockClient(SSMClient);
const cfn = mockClient(CloudFormationClient);
const saved = { ...process.env };
const DEPLOYMENT = JSON.stringify({
  version: 1,
  runbookUrl: 'https://change.lambda-url.eu-west-1.on.aws/',
  runbookReadUrl: 'https://read.lambda-url.eu-west-1.on.aws/',
});

/** The URL each request went to; the runbook answers ok. */
function answering(): string[] {
  const urls: string[] = [];
  jest.spyOn(global, 'fetch').mockImplementation(async (url) => {
    urls.push(String(url));
    return new Response(JSON.stringify({ ok: true }), { status: 200 });
  });
  return urls;
}

beforeEach(() => {
  ssm.reset();
  cfn.reset();
  for (const k of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'SURGEGUARD_NAME_PREFIX'])
    delete process.env[k];
  process.env.AWS_ACCESS_KEY_ID = 'AKIAEXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY = 'secret';
  // No shared config files: the profile names no region unless a test writes one.
  const dir = mkdtempSync(join(tmpdir(), 'sg-aws-'));
  process.env.AWS_CONFIG_FILE = join(dir, 'config');
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
});
afterEach(() => {
  process.env = { ...saved };
  jest.restoreAllMocks();
});

describe('the CLI finds a deployment from what it publishes', () => {
  it.each([
    { op: 'status', url: 'https://read.lambda-url.eu-west-1.on.aws/' },
    { op: 'hold', url: 'https://change.lambda-url.eu-west-1.on.aws/' },
  ])('reads /<prefix>/<region>/deployment and sends $op to its URL', async ({ op, url }) => {
    ssm
      .on(GetParameterCommand, { Name: '/Staging/eu-west-1/deployment' })
      .resolves({ Parameter: { Value: DEPLOYMENT } });
    const urls = answering();
    await new FunctionUrlTransport({ region: 'eu-west-1', prefix: 'Staging', config: 'x' }).send({ op });
    expect(urls).toEqual([url]);
  });

  it('takes the prefix from SURGEGUARD_NAME_PREFIX, else SurgeGuard', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: DEPLOYMENT } });
    answering();
    await new FunctionUrlTransport({ region: 'eu-west-1', config: 'x' }).send({ op: 'status' });
    process.env.SURGEGUARD_NAME_PREFIX = 'Prod';
    await new FunctionUrlTransport({ region: 'eu-west-1', config: 'x' }).send({ op: 'status' });
    expect(ssm.commandCalls(GetParameterCommand).map((c) => c.args[0].input.Name)).toEqual([
      '/SurgeGuard/eu-west-1/deployment',
      '/Prod/eu-west-1/deployment',
    ]);
  });

  it('still honours --stack (outputs) and --url, without reading the parameter', async () => {
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'Audio',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [{ OutputKey: 'AudioScalerRunbookUrlABCD', OutputValue: 'https://from-stack/' }],
        },
      ],
    });
    const urls = answering();
    await new FunctionUrlTransport({ region: 'eu-west-1', stack: 'Audio', config: 'x' }).send({ op: 'hold' });
    await new FunctionUrlTransport({ region: 'eu-west-1', url: 'https://given/', config: 'x' }).send({
      op: 'hold',
    });
    expect(urls).toEqual(['https://from-stack/', 'https://given/']);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(0);
  });

  it.each([
    {
      name: 'no deployment: the AWS exit code, saying what to pass',
      arrange: () =>
        ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'nf', $metadata: {} })),
      code: EXIT.aws,
      message: /parameter \/SurgeGuard\/eu-west-1\/deployment not found/,
    },
    {
      name: 'AWS unreachable: the network exit code',
      arrange: () =>
        ssm
          .on(GetParameterCommand)
          .rejects(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' })),
      code: EXIT.network,
      message: /cannot read/,
    },
    {
      name: 'refused: the AWS exit code',
      arrange: () =>
        ssm
          .on(GetParameterCommand)
          .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' })),
      code: EXIT.aws,
      message: /not authorized/,
    },
  ])('fails clearly when $name', async ({ arrange, code, message }) => {
    arrange();
    const t = new FunctionUrlTransport({ region: 'eu-west-1', config: 'x' });
    await expect(t.send({ op: 'status' })).rejects.toMatchObject({
      exitCode: code,
      message: expect.stringMatching(message),
    });
  });

  it('reports a runbook it cannot reach with the network exit code', async () => {
    jest
      .spyOn(global, 'fetch')
      .mockRejectedValue(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }));
    const t = new FunctionUrlTransport({ region: 'eu-west-1', url: 'https://gone/', config: 'x' });
    await expect(t.send({ op: 'status' })).rejects.toMatchObject({ exitCode: EXIT.network });
  });
});

describe('the region', () => {
  it('resolves like the AWS CLI: flag, AWS_REGION, AWS_DEFAULT_REGION, then the profile', async () => {
    writeFileSync(process.env.AWS_CONFIG_FILE!, '[profile ops]\nregion = ap-south-1\n');
    expect(await resolveRegion(undefined, 'ops')).toBe('ap-south-1');
    process.env.AWS_DEFAULT_REGION = 'eu-central-1';
    expect(await resolveRegion(undefined, 'ops')).toBe('eu-central-1');
    process.env.AWS_REGION = 'eu-west-1';
    expect(await resolveRegion(undefined, 'ops')).toBe('eu-west-1');
    expect(await resolveRegion('us-east-1', 'ops')).toBe('us-east-1');
  });

  it('is a usage error when nothing names one', async () => {
    const t = new FunctionUrlTransport({ url: 'https://x/', config: 'x' });
    await expect(t.send({ op: 'status' })).rejects.toMatchObject({ exitCode: EXIT.usage });
  });
});

describe('--json', () => {
  it('prints a failure as JSON on stdout with its exit code', async () => {
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'nf', $metadata: {} }));
    const out: string[] = [];
    const code = await main(['node', 'surgeguard', 'status', '--region', 'eu-west-1', '--json'], {
      out: (t) => out.push(t),
      err: () => undefined,
    });
    expect(code).toBe(EXIT.aws);
    expect(JSON.parse(out.join(''))).toEqual({
      error: expect.stringMatching(/deployment not found/),
      exitCode: EXIT.aws,
    });
  });
});
