import { join } from 'node:path';
import { AWS_REACTION, measureReaction } from '../../sim/calibration';
import { replay } from '../../sim/replay';
import { loadScenario } from '../../sim/scenario';
import { DETECTOR_DEFAULTS } from '../../lambda/core/config/schema';

const scenario = (name: string) => loadScenario(join(__dirname, '..', '..', 'scenarios', `${name}.yaml`));

describe('the replay world', () => {
  it.each(['target-tracking', 'target-tracking-20s'] as const)(
    'reproduces AWS measured reaction of %s within 10%%',
    async (policy) => {
      const measured = await measureReaction(policy);
      const aws = AWS_REACTION[policy];
      expect(Math.abs(measured.triggerSeconds - aws.triggerSeconds) / aws.triggerSeconds).toBeLessThan(0.1);
      expect(Math.abs(measured.runningSeconds - aws.runningSeconds) / aws.runningSeconds).toBeLessThan(0.1);
    },
  );

  it('keeps its invariants: served never above demand, tasks within max and the launch rate', async () => {
    const ls = scenario('launch-2023-05-24');
    const runs = await replay(ls, ['surgeguard', 'target-tracking']);
    const fleet = ls.fleets[0]!.config;
    for (const run of runs) {
      let prev = run.frames[0]!;
      for (const f of run.frames) {
        expect(f.served).toBeLessThanOrEqual(f.demand + 1e-6);
        expect(f.running + f.pending).toBeLessThanOrEqual(fleet.maxTasks);
        // Frames are 10 s apart: at most one minute's launches can start in between.
        expect(f.running + f.pending - (prev.running + prev.pending)).toBeLessThanOrEqual(
          fleet.launchRatePerMinute,
        );
        prev = f;
      }
      expect(run.figures.servedFraction).toBeGreaterThanOrEqual(0);
      expect(run.figures.servedFraction).toBeLessThanOrEqual(1);
    }
  });
});

describe('SurgeGuard against the baselines', () => {
  it('serves the 2024 Space that target tracking could not, and never arms the shield on it', async () => {
    const runs = await replay(scenario('spaces-2024-08-12'), [
      'surgeguard',
      'target-tracking',
      'naive-shield',
    ]);
    const [sg, tt, naive] = runs;
    expect(sg!.figures.servedFraction).toBeGreaterThanOrEqual(0.999);
    expect(tt!.figures.servedFraction).toBeLessThan(0.95);
    expect(sg!.figures.wafArmed).toBe(false);
    expect(sg!.figures.wafArmedMinutesWithoutAttack).toBe(0);
    // The naive shield mistakes the audience for an attack and blocks listeners.
    expect(naive!.figures.wafArmed).toBe(true);
    expect(naive!.figures.legitRequestsBlockedFraction).toBeGreaterThan(0);
    expect(sg!.figures.costVsOracle).not.toBeNull();
  });

  it('arms within four minutes of a join flood and blocks no more than 0.1% of listeners', async () => {
    const ls = scenario('join-flood-200k');
    const [sg, naive] = await replay(ls, ['surgeguard', 'naive-shield']);
    expect(sg!.figures.wafArmed).toBe(true);
    expect(sg!.figures.firstArmSecondsAfterAttackStart).not.toBeNull();
    // Two distinct 60 s datapoints, each visible 90 s after its period ends, plus a 20 s tick: 230 s at best.
    expect(sg!.figures.firstArmSecondsAfterAttackStart!).toBeLessThanOrEqual(240);
    expect(sg!.figures.legitRequestsBlockedFraction).toBeLessThanOrEqual(0.001);
    expect(sg!.figures.servedFraction).toBeGreaterThanOrEqual(0.999);
    expect(sg!.verdicts.some((v) => v.verdict === 'attack')).toBe(true);
    // Nothing but the attack armed it; it lets go as soon as the hysteresis allows once the flood stops.
    expect(sg!.figures.wafArmedMinutesWithoutAttack).toBe(0);
    const s = ls.scenario;
    const releaseBoundSeconds =
      s.metrics.delaySeconds +
      s.metrics.periodSeconds +
      DETECTOR_DEFAULTS.disarmAfterQuietTicks * s.tickSeconds +
      s.waf.propagationSeconds;
    expect(sg!.figures.wafArmedMinutesAfterAttack).toBeGreaterThan(0);
    expect(sg!.figures.wafArmedMinutesAfterAttack * 60).toBeLessThanOrEqual(releaseBoundSeconds);
    // The naive shield armed on the audience before the flood: that arming is counted as without attack.
    expect(naive!.figures.firstArmSecondsAfterAttackStart!).toBeLessThan(0);
    expect(naive!.figures.wafArmedMinutesWithoutAttack).toBeGreaterThan(0);
  });
});
