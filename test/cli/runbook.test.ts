import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './run-cli';

const EVENT = 'eu-town-hall-2027-03';

/** A rehearsal state file: the runbook handler runs in the CLI's own process, over it. */
function local(): string[] {
  return ['--local', join(mkdtempSync(join(tmpdir(), 'sg-rb-')), 'state.json')];
}

/** An environment with no AWS credentials anywhere, and no instance metadata to ask. */
const NO_AWS = {
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
  AWS_SESSION_TOKEN: '',
  AWS_PROFILE: '',
  AWS_CONFIG_FILE: '/nonexistent',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '',
  AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
  AWS_WEB_IDENTITY_TOKEN_FILE: '',
};

describe('surgeguard runbook commands', () => {
  it('changes, audits who did it, and shows it in status', () => {
    const state = local();
    const scale = runCli([
      'scale',
      '--event',
      EVENT,
      '--fleet',
      'sfu-euw1',
      '--to',
      '200',
      '--for',
      '1h30m',
      '--reason',
      'audience 3x forecast',
      '--yes',
      ...state,
    ]);
    expect(scale.code).toBe(0);
    expect(scale.stdout).toMatch(/^changed: eu-town-hall-2027-03\/sfu-euw1: manual floor 200 tasks until/);
    const hold = runCli([
      'hold',
      '--all',
      '--for',
      '30m',
      '--reason',
      'checking the dashboards',
      '-y',
      ...state,
    ]);
    expect(hold.stdout).toMatch(/changed: automation held for all events until/);
    const audit = runCli(['audit', '--json', ...state]);
    const records = JSON.parse(audit.stdout).data as { action: string; actor: string; reason: string }[];
    expect(records.map((r) => r.action)).toEqual(['scale', 'hold']);
    expect(records[0]!.actor).toMatch(/^local:/);
    expect(records[0]!.reason).toBe('audience 3x forecast');
    const status = runCli(['status', '--event', EVENT, ...state]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/held for every event until/);
    expect(status.stdout).toMatch(/fleet\s+phase\s+ramp start\s+plan floor now\s+event target\s+applied/);
    expect(status.stdout).toMatch(
      /sfu-euw1\s+scheduled\s+2027-03-04T17:\d\d:00Z\s+10\s+[1-9]\d+\s+-\s+-\s+10\s+10\s+-\s+[\d,]+\s+200 until/,
    );
  });

  it.each([
    ['T-60m', '2027-03-04T17:00:00Z', 'scheduled'],
    ['T-20m', '2027-03-04T17:40:00Z', 'prewarming'],
    ['T+15m', '2027-03-04T18:15:00Z', 'live'],
    ['2027-03-04T17:40:00+00:00', '2027-03-04T17:40:00Z', 'prewarming'],
  ])('a --local rehearsal at %s sees the time %s and the phase %s', (at, now, phase) => {
    const r = runCli(['status', '--event', EVENT, '--at', at, ...local()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`SurgeGuard at ${now}:`);
    expect(r.stdout).toMatch(new RegExp(`^\\s*sfu-euw1\\s+${phase}\\s`, 'm'));
  });

  it.each([
    [['--at', 'T-60m', ...local()], "--at T-60m is relative to an event's start: pass --event ID"],
    [
      ['--event', EVENT, '--at', 'T-60m'],
      "--at moves the local rehearsal's clock only: pass --local STATE_FILE",
    ],
    [['--event', EVENT, '--at', 'soon', ...local()], '--at: expected an ISO 8601 time with offset'],
  ])('status %j is a usage error', (args, message) => {
    const r = runCli(['status', ...args], { env: NO_AWS });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('names a --local state file that is not one, and says what is wrong with it', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sg-rb-')), 'state.json');
    writeFileSync(file, '{"global": {}}');
    const r = runCli(['status', '--local', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${file}: "events" is not a list; expected the state file a --local rehearsal wrote`,
    );
  });

  it('prints status as JSON for scripts', () => {
    const r = runCli(['status', '--json', ...local()]);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: true, op: 'status' });
    expect(out.data.events.map((e: { id: string }) => e.id)).toEqual(['spaces-2024-08-12', EVENT]);
    expect(out.data.quota).toHaveLength(2);
  });

  it.each([
    [
      ['scale', '--event', 'nope', '--fleet', 'sfu-euw1', '--to', '5', '--for', '1h', '--reason', 'r'],
      1,
      'unknown event "nope"',
    ],
    [
      ['hold', '--event', 'spaces-2024-08-12', '--for', '1h', '--reason', 'r'],
      1,
      'event "spaces-2024-08-12" is over: nothing to change',
    ],
    [
      [
        'scale',
        '--event',
        EVENT,
        '--fleet',
        'sfu-euw1',
        '--to',
        '5',
        '--by',
        '10',
        '--for',
        '1h',
        '--reason',
        'r',
      ],
      2,
      "option '--to <tasks>' cannot be used with option '--by <percent>'",
    ],
    [
      ['scale', '--event', EVENT, '--fleet', 'sfu-euw1', '--to', '5', '--for', 'soon', '--reason', 'r'],
      2,
      '--for: expected a duration with its unit such as 30m',
    ],
    [
      ['hold', '--all', '--for', '2', '--reason', 'r'],
      2,
      '--for: expected a duration with its unit such as 30m, 2h or 1h30m, got "2"',
    ],
    [['pause'], 2, "required option '--reason <text>' not specified"],
    [['shield', 'explode', '--event', EVENT, '--for', '1h', '--reason', 'r'], 2, 'expected arm or disarm'],
  ])('rejects %j with exit %d and a clear message', (args, code, message) => {
    const r = runCli([...args, ...local(), '--yes']);
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('asks for --yes when there is no terminal to confirm on, in a --local rehearsal too', () => {
    const r = runCli(['pause', '--reason', 'r', '--url', 'http://127.0.0.1:9/']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('refusing to pause automation without --yes');
    const state = local();
    const rehearsed = runCli(['pause', '--reason', 'r', ...state]);
    expect(rehearsed.code).toBe(2);
    expect(rehearsed.stderr).toContain('refusing to pause automation without --yes');
    const audit = JSON.parse(runCli(['audit', '--json', ...state]).stdout);
    expect(audit.data).toEqual([]);
  });

  it('says clearly when there are no credentials, or the endpoint is unreachable', async () => {
    // A loopback port that was free a moment ago: nothing listens on it.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const url = `http://127.0.0.1:${port}/`;
    const noCreds = runCli(['pause', '--reason', 'r', '--yes', '--region', 'us-east-1', '--url', url], {
      env: NO_AWS,
    });
    expect(noCreds.code).toBe(4); // AWS/auth
    expect(noCreds.stderr).toMatch(/^surgeguard: no AWS credentials: set AWS_PROFILE or pass --profile/);
    const unreachable = runCli(['pause', '--reason', 'r', '--yes', '--region', 'us-east-1', '--url', url], {
      env: { ...NO_AWS, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' },
    });
    expect(unreachable.code).toBe(5); // network
    expect(unreachable.stderr).toMatch(
      new RegExp(`^surgeguard: cannot reach the runbook at http://127\\.0\\.0\\.1:${port}: ECONNREFUSED`),
    );
    expect(unreachable.stderr).not.toMatch(/\n\s+at /);
  });

  it('asks the stack of every region in the config when no stack is named', () => {
    const r = runCli(['status'], { env: { ...NO_AWS, AWS_REGION: 'ap-south-1' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^\[us-east-1\]\nFAILED: no AWS credentials/m);
    expect(r.stdout).toMatch(/^\[eu-west-1\]\nFAILED: no AWS credentials/m);
    expect(r.stdout).not.toMatch(/ap-south-1/);
    expect(r.stderr).toMatch(
      /^surgeguard: not done in every region: us-east-1: no AWS credentials.*; eu-west-1: /,
    );
  });
});
