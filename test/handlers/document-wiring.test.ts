import { createHash } from 'node:crypto';
import type { ControllerDeps } from '../../lambda/controller/deps';
import { mockClient } from 'aws-sdk-client-mock';
import { bindingsOf, buildDocument } from '../../lambda/core/document';
import { runtimeForRegion } from '../../lib/runtime-for-region';
import { testRuntime } from '../fixtures/runtime';

const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const runtime = runtimeForRegion(testRuntime(), 'us-east-1');

describe('a deployed function and its published document', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('reads the document the stack names, checked against the bindings the stack sets', async () => {
    // Prepare: the environment the stack gives its functions (lib/surgeguard.ts), no config of its own.
    delete process.env.SURGEGUARD_CONFIG;
    delete process.env.SURGEGUARD_CONFIG_FILE;
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      SURGEGUARD_TABLE: 'state',
      SURGEGUARD_DOCUMENT_BUCKET: 'docs',
      SURGEGUARD_DOCUMENT_KEY: 'surgeguard/runtime.json',
      SURGEGUARD_BINDINGS: JSON.stringify(bindingsOf(runtime)),
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
    });
    const text = JSON.stringify(
      buildDocument(runtime, { region: 'us-east-1', publishedAt: 'now', publishedBy: 'test' }, sha),
    );
    // Act: the handlers' own dependency builder, in a fresh module registry (as a cold container).
    let asked: unknown[] = [];
    let deps: ControllerDeps | undefined;
    await jest.isolateModulesAsync(async () => {
      // The registry's own S3 client class is the one the function builds.
      const sdk = await import('@aws-sdk/client-s3');
      const s3 = mockClient(sdk.S3Client);
      s3.on(sdk.GetObjectCommand).resolves({
        Body: { transformToString: async () => text } as never,
        VersionId: 'v3',
      });
      const { controllerDeps } = await import('../../lambda/handlers/runtime');
      deps = await controllerDeps();
      asked = s3.commandCalls(sdk.GetObjectCommand).map((c) => c.args[0].input);
    });
    // Assess
    expect(deps!.documentVersion).toBe('v3');
    expect(deps!.runtime.config.events.map((e) => e.id)).toEqual(['ev']);
    expect(asked).toEqual([expect.objectContaining({ Bucket: 'docs', Key: 'surgeguard/runtime.json' })]);
  });

  it('refuses to start without the bindings the stack sets, naming the variable', async () => {
    delete process.env.SURGEGUARD_CONFIG;
    delete process.env.SURGEGUARD_CONFIG_FILE;
    delete process.env.SURGEGUARD_BINDINGS;
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      SURGEGUARD_DOCUMENT_BUCKET: 'b',
      SURGEGUARD_DOCUMENT_KEY: 'k',
    });
    await expect(
      jest.isolateModulesAsync(async () => {
        const { controllerDeps } = await import('../../lambda/handlers/runtime');
        await controllerDeps();
      }),
    ).rejects.toThrow(/SURGEGUARD_BINDINGS/);
  });
});
