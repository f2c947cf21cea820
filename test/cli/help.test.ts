import { buildProgram, main } from '../../bin/cli/main';
import { EXIT } from '../../bin/cli/io';
import type { CommandRun, CommandSpec } from '../../bin/cli/spec';
import { GROUPS } from '../../bin/cli/spec';
import { COMMANDS } from '../../bin/cli/table';

async function run(
  args: string[],
  commands: readonly CommandSpec[] = COMMANDS,
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
  let code: number;
  if (commands === COMMANDS) code = await main(['node', 'surgeguard', ...args], io);
  else {
    try {
      await buildProgram(io, commands).parseAsync(['node', 'surgeguard', ...args]);
      code = EXIT.ok;
    } catch (e) {
      code = (e as { exitCode?: number }).exitCode ?? -1;
    }
  }
  return { code, out: out.join(''), err: err.join('') };
}

/** The table with every command's module replaced: `load` records the run, or fails the test if `refuse`. */
function stubbed(ran: { name: string; opts: unknown; args: unknown[] }[], refuse = false): CommandSpec[] {
  return COMMANDS.map((spec) => ({
    ...spec,
    load: (): CommandRun => {
      if (refuse) throw new Error(`${spec.name}: loaded for help`);
      return (_io, opts, args) => {
        ran.push({ name: spec.name, opts, args });
      };
    },
  }));
}

/** A command line split as a shell would: words, or "quoted words". */
const words = (line: string) => [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);

describe('the command table', () => {
  it.each(COMMANDS.map((c) => [c.name, c] as const))('%s has a group, an example and --json', (_, spec) => {
    expect(GROUPS).toContain(spec.group);
    expect(spec.examples.length).toBeGreaterThan(0);
    expect(spec.options.map((o) => o.flags)).toContain('--json');
  });

  it('names each command once', () => {
    const names = COMMANDS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(COMMANDS.flatMap((c) => c.examples.map((e) => [c.name, e.run] as const)))(
    '%s: the example `%s` is a valid command line',
    async (name, line) => {
      const ran: { name: string; opts: unknown; args: unknown[] }[] = [];
      const [bin, ...args] = words(line);
      expect(bin).toBe('surgeguard');
      const r = await run(args, stubbed(ran));
      expect(r.err).toBe('');
      expect(r.code).toBe(EXIT.ok);
      expect(ran.map((x) => x.name)).toEqual([name]);
    },
  );
});

describe('help', () => {
  it('lists the commands in their groups, in order, with help last', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(EXIT.ok);
    const headings = [...r.out.matchAll(/^(\S[^\n]*):$/gm)].map((m) => m[1]);
    const used = GROUPS.filter((g) => COMMANDS.some((c) => c.group === g));
    expect(headings).toEqual(['Options', ...used, 'Help']);
    for (const spec of COMMANDS) {
      const section = r.out.slice(r.out.indexOf(`\n${spec.group}:\n`)).split('\n\n')[0]!;
      expect(section).toMatch(new RegExp(`^  ${spec.name} `, 'm'));
    }
  });

  it.each(COMMANDS.map((c) => [c.name, c] as const))(
    '%s --help ends with its examples',
    async (name, spec) => {
      const r = await run([name, '--help']);
      expect(r.code).toBe(EXIT.ok);
      expect(r.out).toContain(`Usage: surgeguard ${name}`);
      const tail = r.out.slice(r.out.lastIndexOf('\nExamples:\n'));
      expect(tail.trimEnd()).toBe(
        ['', 'Examples:', ...spec.examples.flatMap((e) => [`  # ${e.what}`, `  $ ${e.run}`])].join('\n'),
      );
    },
  );

  it("describes every command without loading the command's module", async () => {
    const ran: { name: string; opts: unknown; args: unknown[] }[] = [];
    expect((await run(['--help'], stubbed(ran, true))).code).toBe(EXIT.ok);
    for (const spec of COMMANDS) {
      const r = await run([spec.name, '--help'], stubbed(ran, true));
      expect(r.code).toBe(EXIT.ok);
    }
    expect(ran).toEqual([]);
  });

  it('passes positional arguments and options to the command', async () => {
    const ran: { name: string; opts: unknown; args: unknown[] }[] = [];
    await run(
      ['shield', 'arm', '-e', 'ev', '--for', '5m', '--reason', 'r', '--local', 's.json'],
      stubbed(ran),
    );
    expect(ran).toEqual([
      {
        name: 'shield',
        opts: expect.objectContaining({ event: 'ev', for: '5m', reason: 'r', local: 's.json' }),
        args: ['arm'],
      },
    ]);
  });
});

describe('--json on every command', () => {
  it.each(COMMANDS.map((c) => [c.name, c] as const))(
    '%s prints a usage error as JSON with the usage exit code',
    async (_, spec) => {
      const [, ...args] = words(spec.examples[0].run);
      const r = await run([...args, '--no-such-option', '--json']);
      expect(r.code).toBe(EXIT.usage);
      const last = r.out.trim().split('\n').pop()!;
      expect(JSON.parse(last)).toEqual({
        error: "error: unknown option '--no-such-option'",
        exitCode: EXIT.usage,
      });
    },
  );
});
