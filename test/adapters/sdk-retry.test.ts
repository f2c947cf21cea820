import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { AWS_CLIENT_CONFIG } from '../../lambda/adapters/retry';

/** What the fake endpoint does with each request in turn: reset the connection, hang, throttle or answer. */
type Step = 'reset' | 'hang' | 'throttle' | 'timeout408' | 'ok';

describe('the AWS client configuration every Lambda and the CLI use', () => {
  let server: Server;
  let steps: Step[];
  let seen: number;
  const hung: ServerResponse[] = [];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      const step = steps[seen++] ?? 'ok';
      if (step === 'reset') return req.socket.destroy();
      if (step === 'hang') return void hung.push(res);
      const json = (status: number, body: object) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      if (step === 'throttle') return json(400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
      if (step === 'timeout408') return json(408, { __type: 'RequestTimeout', message: 'timed out' });
      json(200, { services: [{ serviceName: 'sfu', desiredCount: 7 }], failures: [] });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const r of hung) r.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    seen = 0;
  });

  const client = () =>
    new ECSClient({
      ...AWS_CLIENT_CONFIG,
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    });
  const describe1 = () => client().send(new DescribeServicesCommand({ cluster: 'c', services: ['sfu'] }));

  it.each<[string, Step[]]>([
    ['a reset connection (ECONNRESET)', ['reset']],
    ['a throttled call', ['throttle']],
    ['an HTTP 408', ['timeout408']],
    ['a reset then a throttle', ['reset', 'throttle']],
  ])('retries %s and succeeds', async (_what, failures) => {
    steps = [...failures, 'ok'];
    const res = await describe1();
    expect(res.services?.[0]?.desiredCount).toBe(7);
    expect(seen).toBe(failures.length + 1);
  });

  it('gives up after a bounded number of attempts', async () => {
    steps = ['throttle', 'throttle', 'throttle', 'throttle', 'throttle'];
    await expect(describe1()).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(seen).toBe(AWS_CLIENT_CONFIG.maxAttempts);
  });

  it('times out a hung request and retries it', async () => {
    steps = ['hang', 'ok'];
    const started = Date.now();
    const res = await describe1();
    expect(res.services?.[0]?.desiredCount).toBe(7);
    expect(seen).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(
      AWS_CLIENT_CONFIG.requestHandler.requestTimeout - 100,
    );
  }, 15_000);

  it('bounds the worst case well inside a 20-second tick', () => {
    const { maxAttempts, requestHandler } = AWS_CLIENT_CONFIG;
    expect(AWS_CLIENT_CONFIG.retryMode).toBe('standard');
    expect(
      maxAttempts * (requestHandler.connectionTimeout + requestHandler.requestTimeout),
    ).toBeLessThanOrEqual(12_000);
  });
});
