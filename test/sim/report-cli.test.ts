import { runCli } from '../cli/run-cli';

describe('surgeguard replay: the table a user reads', () => {
  it('shows a near-complete service with the digits that tell it from 100%, and explains the oracle', () => {
    const r = runCli(['replay', 'scenarios/launch-2023-05-24.yaml', '--policy', 'oracle']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^oracle\s+99\.999%/m);
    expect(r.stdout).toMatch(
      /^note: The oracle .* brushes the limit, .* 2 minutes fall under the join-success SLO/m,
    );
  });

  it('has no oracle note when the oracle is not compared', () => {
    const r = runCli(['replay', 'scenarios/launch-2023-05-24.yaml', '--policy', 'surgeguard']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('note:');
  });
});
