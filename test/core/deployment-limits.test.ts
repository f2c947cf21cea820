import { loadConfig } from '../../lambda/adapters/config-file';
import { MAX_DOCUMENT_BYTES } from '../../lambda/core/document';
import {
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

  it('passes a large config (50 fleets in 5 regions, 300 events): no stack grows with events', () => {
    // Prepare and act
    const { issues, slices } = check(LARGE);
    // Assess: every region well under the limits, the same stack size as for a handful of events.
    expect(issues).toEqual([]);
    for (const s of slices) {
      const fp = regionFootprint(s.region, s.runtime);
      expect(fp.resources).toBeLessThanOrEqual(200);
      expect(fp.documentBytes).toBeLessThan(MAX_DOCUMENT_BYTES);
      expect(fp.events).toBeGreaterThan(50);
    }
  });

  it('names the document limit, its size and the first event past it, at the region', () => {
    const { issues, slices } = check({ fleets: 2, regions: 1, events: 30, titleChars: 100_000 });
    expect(regionFootprint(slices[0]!.region, slices[0]!.runtime).resources).toBeLessThan(CFN_MAX_RESOURCES);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toMatch(
      /us-east-1 published document \(config and plan\) would take \d+ bytes/,
    );
    expect(issues[0]!.message).toContain(`expected at most ${MAX_DOCUMENT_BYTES}`);
    // A title is carried twice (config and plan): about 200 KB an event, so the 21st passes 4 MiB.
    expect(issues[0]!.message).toContain('passed at event "ev-20"');
    expect(formatIssue(issues[0]!)).toMatch(/events\.yaml:\d+:\d+: regions\.us-east-1: /);
  });

  it("names CloudFormation's limit when a region holds too many fleets", () => {
    const { loaded, slices } = check({ fleets: 2, regions: 1, events: 2 });
    const slice = slices[0]!;
    const fleet = slice.runtime.config.fleets[0]!;
    const fleets = Array.from({ length: 110 }, (_, i) => ({ ...fleet, id: `fleet-${i}` }));
    const many = { ...slice.runtime, config: { ...slice.runtime.config, fleets } };
    const issues = deploymentLimitIssues([{ region: slice.region, runtime: many }], loaded.source);
    const resources = issues.filter((i) => i.message.includes('CloudFormation'));
    expect(resources).toHaveLength(1);
    expect(resources[0]!.message).toContain(`would hold ${77 + 4 * 110} resources`);
  });

  it('passes the same config with short titles', () => {
    expect(check({ fleets: 2, regions: 1, events: 12 }).issues).toEqual([]);
  });
});
