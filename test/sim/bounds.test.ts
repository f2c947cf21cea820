import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planFloorTaskHours } from '../../sim/bounds';
import { replay } from '../../sim/replay';
import { loadScenario } from '../../sim/scenario';

const LINEAR = `name: linear
start: '2030-01-01T00:00:00Z'
durationMinutes: 30
forecast: { peakListeners: 9500, headroom: 0 }
fleets:
  - id: f
    share: 1
    baselineTasks: 2
    maxTasks: 100
    vcpuPerTask: 1
    startupSeconds: 30
    scalingTest: [{ tasks: 1, listeners: 1000 }, { tasks: 2, listeners: 2000 }, { tasks: 3, listeners: 3000 }, { tasks: 4, listeners: 4000 }, { tasks: 5, listeners: 5000 }]
    truth: { listenersPerTask: 1000, sigma: 0, kappa: 0 }
demand:
  - [-10, 0]
  - [0, 9500]
  - [30, 0]
`;

describe('the plan floor bound', () => {
  it('integrates the plan floor over the replay horizon', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'sg-bound-'));
    const file = join(dir, 'linear.yaml');
    writeFileSync(file, LINEAR);

    // Act
    const hours = planFloorTaskHours(loadScenario(file));

    // Assess: 10 tasks from the ramp (doors open -15 min, minus 30 s start-up, 1 min launch, 10 min margin:
    // -27 min) to end plus tail (60 min), then 8, 6, 4 every 10 minutes and the baseline of 2; the horizon
    // runs from 10 minutes before the pre-watch (-67 min) to an hour after the step-down (160 min).
    const taskSeconds = 2 * 2400 + 10 * 5220 + 8 * 600 + 6 * 600 + 4 * 600 + 2 * 4200;
    expect(hours).toBeCloseTo(taskSeconds / 3600, 6);
  });

  it('is at or below what SurgeGuard spends when the scaling test is the truth', async () => {
    const ls = loadScenario(join(__dirname, '..', '..', 'scenarios', 'join-flood-200k.yaml'));
    const [sg] = await replay(ls, ['surgeguard']);
    expect(planFloorTaskHours(ls)).toBeLessThanOrEqual(sg!.figures.taskHours);
  });
});
