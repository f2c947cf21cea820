import { loadConfig } from '../../lambda/adapters/config-file';
import {
  BAKED_CONFIG_MAX_BYTES,
  CFN_MAX_RESOURCES,
  deploymentLimitIssues,
  regionFootprint,
} from '../../lambda/core/config/deployment-limits';
import { formatIssue } from '../../lambda/core/issues';
import { buildRuntimeConfig } from '../../lambda/core/runtime-config';
import { fleetRegions, runtimeForRegion } from '../../lib/runtime-for-region';
import type { GeneratedConfigSize } from '../fixtures/generated-config';
import { LARGE, SMALL, writeGeneratedConfig } from '../fixtures/generated-config';

function check(size: GeneratedConfigSize) {
  const loaded = loadConfig(writeGeneratedConfig(size));
  const runtime = buildRuntimeConfig(loaded.config, loaded.models);
  const slices = fleetRegions(runtime).map((region) => ({
    region,
    runtime: runtimeForRegion(runtime, region),
  }));
  return { loaded, slices, issues: deploymentLimitIssues(slices, loaded.source) };
}

describe('deployment limits', () => {
  it('passes a small config (5 fleets, 10 events)', () => {
    const { issues, slices } = check(SMALL);
    expect(issues).toEqual([]);
    for (const s of slices) expect(regionFootprint(s.region, s.runtime).resources).toBeLessThan(200);
  });

  it("names CloudFormation's 500-resource limit, the count and the first event past it, at each region of a large config", () => {
    // Prepare: 50 fleets in 5 regions, 300 events: 120 events in each region's stack
    const { issues, loaded } = check(LARGE);
    // Assess
    const resources = issues.filter((i) => i.message.includes('CloudFormation'));
    expect(resources.map((i) => i.path)).toEqual([
      'regions.us-east-1',
      'regions.eu-west-1',
      'regions.ap-southeast-1',
      'regions.us-west-2',
      'regions.eu-central-1',
    ]);
    const first = resources[0]!;
    expect(first.line).toBe(3);
    expect(first.col).toBe(3);
    expect(first.message).toContain('would hold 1026 resources');
    expect(first.message).toContain(`at most ${CFN_MAX_RESOURCES} resources per stack`);
    // 66 + 8 per event (one fleet each in this region): the 55th event in us-east-1 passes 500.
    const usEvents = loaded.config.events.filter((e) =>
      e.fleets.some((f) => Number(f.fleet.slice(4)) % 5 === 0),
    );
    expect(first.message).toContain(`passed at event "${usEvents[54]!.id}"`);
    expect(formatIssue(first)).toMatch(/events\.yaml:3:3: regions\.us-east-1: the us-east-1 stack/);
  });

  it('names the E2BIG bound when the baked config grows though the stack does not', () => {
    const { issues, slices } = check({ fleets: 2, regions: 1, events: 12, titleChars: 10_000 });
    expect(regionFootprint(slices[0]!.region, slices[0]!.runtime).resources).toBeLessThan(CFN_MAX_RESOURCES);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toMatch(/baked into the us-east-1 Lambda bundles would take \d+ bytes/);
    expect(issues[0]!.message).toContain(`expected at most ${BAKED_CONFIG_MAX_BYTES}`);
    expect(issues[0]!.message).toContain('E2BIG');
    // A title is carried twice (config and plan): about 20 KB an event, so the fifth passes 96 KiB.
    expect(issues[0]!.message).toContain('passed at event "ev-4"');
  });

  it('passes the same config with short titles', () => {
    expect(check({ fleets: 2, regions: 1, events: 12 }).issues).toEqual([]);
  });
});
