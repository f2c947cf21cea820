/**
 * The names a replay takes on its command line, apart from the simulator so the CLI can list them in its help
 * without loading the simulator.
 */

/** The policies a replay compares. */
export const POLICY_NAMES = [
  'surgeguard',
  'target-tracking',
  'target-tracking-20s',
  'scheduled',
  'oracle',
  'naive-shield',
  'always-block',
] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/** The named what-if audiences a rehearsal of a configured event can replay. */
export const DEMAND_PROFILES = ['forecast', 'x2', 'late-40', 'no-show', 'leaves-early'] as const;
export type DemandProfile = (typeof DEMAND_PROFILES)[number];
