import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { PublishedDocument } from '../../lambda/core/document';
import { desiredSchedules } from '../../lambda/core/schedules';
import { buildApp } from '../../lib/app';
import { LARGE, SMALL, writeGeneratedConfig } from '../fixtures/generated-config';

/** Synthesizes a generated config: each region's template (asset hashes masked) and its published document. */
function synth(config: string) {
  const outdir = mkdtempSync(join(tmpdir(), 'sg-data-'));
  const app = new App({ outdir, context: { config, 'aws:cdk:bundling-stacks': [] } });
  const { stacks } = buildApp({ app });
  const assembly = app.synth();
  const documents = new Map<string, PublishedDocument>();
  for (const d of readdirSync(assembly.directory).filter((x) => x.startsWith('asset.'))) {
    const f = join(assembly.directory, d, 'surgeguard', 'runtime.json');
    if (!existsSync(f)) continue;
    const doc = JSON.parse(readFileSync(f, 'utf8')) as PublishedDocument;
    documents.set(doc.region, doc);
  }
  const templates = new Map(
    stacks.map((s) => {
      const t = Template.fromStack(s).toJSON();
      return [s.region, { resources: Object.keys(t.Resources).length, text: JSON.stringify(t) }] as const;
    }),
  );
  return { templates, documents };
}

/** The template with its content hashes (asset keys) masked: what CloudFormation would be asked to change. */
const masked = (text: string) =>
  text.replace(/[0-9a-f]{64}/g, '<hash>').replace(/sg-gen-[A-Za-z0-9]+/g, '<config dir>');

/** The first place two texts differ, with a little context: a readable failure for a template's worth of JSON. */
const firstDifference = (a: string, b: string) => {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i === a.length && i === b.length
    ? ''
    : `${a.slice(i - 80, i + 80)}\n---\n${b.slice(i - 80, i + 80)}`;
};

describe('events as data', () => {
  it('adding an event changes the published document and the schedules, not the templates', () => {
    // Prepare and act: the same config, and the same with one more event.
    const file = writeGeneratedConfig(SMALL);
    const before = synth(file);
    const more = join(mkdtempSync(join(tmpdir(), 'sg-gen-')), 'events.yaml');
    cpSync(join(dirname(file), 'test.csv'), join(dirname(more), 'test.csv'));
    writeFileSync(
      more,
      `${readFileSync(file, 'utf8')}  - id: ev-added\n    title: Added\n    start: '2031-01-01T18:00:00Z'\n    durationMinutes: 60\n    expectedPeakListeners: 50000\n    fleets:\n      - { fleet: sfu-0, share: 1 }\n`,
    );
    const after = synth(more);
    // Assess
    for (const [region, t] of before.templates)
      expect(firstDifference(masked(t.text), masked(after.templates.get(region)!.text))).toBe('');
    const changed = [...after.documents].filter(
      ([region, doc]) => doc.sha256 !== before.documents.get(region)!.sha256,
    );
    expect(changed.length).toBeGreaterThan(0);
    for (const [region, doc] of changed) {
      const now = Date.parse('2029-12-01T00:00:00Z');
      const schedulesBefore = desiredSchedules(before.documents.get(region)!.runtime, now).map((s) => s.name);
      const schedulesAfter = desiredSchedules(doc.runtime, now).map((s) => s.name);
      expect(schedulesAfter).toEqual(expect.arrayContaining(schedulesBefore));
      expect(schedulesAfter.filter((n) => !schedulesBefore.includes(n))).toEqual([
        expect.stringMatching(/^ev-added-prescale-/),
        expect.stringMatching(/^ev-added-restore-/),
      ]);
    }
  });

  it('synthesizes a large config (50 fleets in 5 regions, 300 events) into stacks of at most 200 resources', () => {
    const { templates, documents } = synth(writeGeneratedConfig(LARGE));
    expect(templates.size).toBe(5);
    for (const t of templates.values()) expect(t.resources).toBeLessThanOrEqual(200);
    expect(
      [...documents.values()].reduce((n, d) => n + d.runtime.config.events.length, 0),
    ).toBeGreaterThanOrEqual(300);
  });
});
