/* eslint-disable @typescript-eslint/no-require-imports -- a command's module is loaded when it runs: esbuild
   bundles a literal `require` (to be evaluated when called) and tsx compiles it, where it does not compile `import()`. */
import { InvalidArgumentError } from 'commander';
import { DEFAULT_CONFIG_PATH } from '../../lambda/core/config/default-path';
import type { PlanWarningCode } from '../../lambda/core/planner';
import { PLAN_WARNING_CODES } from '../../lambda/core/planner';
import { DEMAND_PROFILES, POLICY_NAMES } from '../../sim/names';
import type * as Plan from './commands/plan';
import type * as Publish from './commands/publish';
import type * as Replay from './commands/replay';
import type * as Review from './commands/review';
import type * as Runbook from './commands/runbook';
import type * as Schema from './commands/schema';
import type * as Validate from './commands/validate';
import type { CommandSpec, OptionSpec } from './spec';

/** Collects repeated `--allow CODE`, refusing codes no warning has (a typo would silently allow nothing). */
function allowCode(value: string, previous: PlanWarningCode[]): PlanWarningCode[] {
  const code = value.trim().toUpperCase();
  if (!(PLAN_WARNING_CODES as readonly string[]).includes(code)) {
    throw new InvalidArgumentError(`unknown warning code; expected one of: ${PLAN_WARNING_CODES.join(', ')}`);
  }
  return [...previous, code as PlanWarningCode];
}

const config = (description: string): OptionSpec => ({
  flags: '-c, --config <path>',
  description,
  default: DEFAULT_CONFIG_PATH,
});

/** Where a runbook command is sent, and how it answers. */
const TARGET = 'Where to ask:';
const RUNBOOK_OPTIONS: readonly OptionSpec[] = [
  { flags: '--json', description: 'print the answer as JSON' },
  {
    flags: '--region <region>',
    description: "ask this region's stack only (default: every region the request touches, from the config)",
    group: TARGET,
  },
  { flags: '--profile <name>', description: 'AWS profile to sign with', group: TARGET },
  {
    flags: '--prefix <name>',
    description:
      'the deployment name prefix: the CLI reads /<prefix>/<region>/deployment (default: $SURGEGUARD_NAME_PREFIX, else SurgeGuard)',
    group: TARGET,
  },
  {
    flags: '--stack <name>',
    description: 'a stack whose outputs name the runbook URL, in place of the deployment parameter',
    group: TARGET,
  },
  { flags: '--url <url>', description: 'the runbook function URL', group: TARGET },
  { flags: '--function <name>', description: 'the runbook function (its URL is looked up)', group: TARGET },
  { flags: '--local <stateFile>', description: 'rehearse against a local state file: no AWS', group: TARGET },
  {
    flags: '--at <time>',
    description:
      "with --local: the rehearsal's clock, an ISO 8601 time or T-60m / T+15m from the event's start (needs --event)",
    group: TARGET,
  },
  { ...config('event config file (regions to ask; the rehearsal)'), group: TARGET },
];

/** Options of the runbook commands that change something. */
const CHANGING_OPTIONS: readonly OptionSpec[] = [
  { flags: '--reason <text>', description: 'why, for the audit trail', required: true },
  { flags: '-y, --yes', description: 'do not ask for confirmation' },
  ...RUNBOOK_OPTIONS,
];

const eventOption = (description: string, required = false): OptionSpec => ({
  flags: '-e, --event <id>',
  description,
  required,
});
const forOption: OptionSpec = {
  flags: '--for <duration>',
  description: 'how long, such as 30m or 2h',
  required: true,
};

const plan = () => require('./commands/plan') as typeof Plan;
const publish = () => require('./commands/publish') as typeof Publish;
const replay = () => require('./commands/replay') as typeof Replay;
const review = () => require('./commands/review') as typeof Review;
const runbook = () => require('./commands/runbook') as typeof Runbook;
const schema = () => require('./commands/schema') as typeof Schema;
const validate = () => require('./commands/validate') as typeof Validate;

/**
 * Every `surgeguard` command: how `--help` describes it and where what it does lives. Adding a command is one row
 * here and one module under `commands/` exporting what it does.
 */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'publish',
    group: 'Deploy',
    summary: "Publish the config's events and plans to the deployed stacks, without a stack update.",
    description:
      "Validate the config, plan it and write each region's document (config and plan) as a new version in the bucket its deployment names, as cdk deploy does. Every region is checked before any is written. The functions read it within a minute; the watch then makes the prescale and restore schedules. New fleets need cdk deploy.",
    options: [
      config('event config file'),
      {
        flags: '--region <region>',
        description: "publish this region's document only (default: every region of the config)",
      },
      {
        flags: '--prefix <name>',
        description: 'the deployment name prefix (default: $SURGEGUARD_NAME_PREFIX, else SurgeGuard)',
      },
      { flags: '--profile <name>', description: 'AWS profile to sign with' },
      { flags: '--dry-run', description: 'check everything and say what would be written; write nothing' },
      {
        flags: '--force',
        description:
          'publish even when it drops or moves an event under way (its fleets are then left to on-call)',
      },
      { flags: '--json', description: 'print one JSON object: each region, its version, events and bytes' },
    ],
    examples: [
      {
        run: 'surgeguard publish --config config/events.yaml --dry-run',
        what: 'check against the deployed stacks',
      },
      {
        run: 'surgeguard publish --config config/events.yaml',
        what: 'add or move events without cdk deploy',
      },
    ],
    load: () => publish().publish,
  },
  {
    name: 'validate',
    group: 'Plan and check',
    summary: 'Check the event config, every scaling-test file and the limits of its deployment.',
    description:
      'Check the event config, every scaling-test file and the limits of its deployment; print ok or every error (file:line:col).',
    options: [
      config('event config file'),
      { flags: '--json', description: 'print one JSON object: the counts, warnings and notes' },
    ],
    examples: [{ run: 'surgeguard validate --config config/events.yaml', what: 'check before a deploy' }],
    load: () => validate().validate,
  },
  {
    name: 'plan',
    group: 'Plan and check',
    summary: 'Show the capacity model, needed tasks, lead time and steps of each event and fleet.',
    options: [
      config('event config file'),
      eventOption('only this event'),
      { flags: '--json', description: 'print one JSON object instead of tables' },
      {
        flags: '--strict',
        description: 'exit 3 when the plan has any warning not accepted with --allow (a CI gate)',
      },
      {
        flags: '--allow <code>',
        description: 'with --strict: accept this warning code knowingly (repeatable)',
        default: [],
        parse: allowCode,
      },
    ],
    examples: [
      { run: 'surgeguard plan --event eu-town-hall-2027-03', what: "one event's plan" },
      {
        run: 'surgeguard plan --strict --allow EXTRAPOLATION',
        what: 'a CI gate: fail on any other warning',
      },
    ],
    load: () => plan().plan,
  },
  {
    name: 'schema',
    group: 'Plan and check',
    summary: 'Print the JSON Schema of the event config file (editors use it to complete and check).',
    options: [
      { flags: '-o, --out <path>', description: 'write to this file instead of stdout' },
      {
        flags: '--json',
        description: 'with --out, say what was written as JSON (the schema itself is JSON already)',
      },
    ],
    examples: [
      { run: 'surgeguard schema --out config/events.schema.json', what: 'refresh the checked-in schema' },
    ],
    load: () => schema().schema,
  },
  {
    name: 'replay',
    group: 'Replay and review',
    summary: 'Replay a scenario, or rehearse an event of the config, through SurgeGuard and the baselines.',
    description:
      'Replay a scenario (scenarios/*.yaml), or rehearse an event of the config, through SurgeGuard and the baselines; print the comparison.',
    args: [
      { name: '[scenario]', description: 'scenario file (or --event to rehearse an event of the config)' },
    ],
    options: [
      {
        flags: '-c, --config <path>',
        description: `event config to rehearse an event of (default: ${DEFAULT_CONFIG_PATH})`,
      },
      eventOption('rehearse this event of the config instead of a scenario file'),
      {
        flags: '--profile <name>',
        description: `the audience: one of ${DEMAND_PROFILES.join(', ')} (default: forecast)`,
      },
      {
        flags: '--demand <file>',
        description: 'the audience as CSV rows "minute,listeners" or YAML [[minute, listeners], ...]',
      },
      {
        flags: '-p, --policy <name>',
        description: `one of ${POLICY_NAMES.join(', ')}, or all`,
        default: 'all',
      },
      { flags: '--json', description: 'print one JSON object instead of a table' },
      { flags: '-r, --report <dir>', description: 'write an HTML report with SVG charts to this folder' },
      {
        flags: '--record <dir>',
        description: "write surgeguard's audit trail and metrics here, for `surgeguard review --from`",
      },
    ],
    examples: [
      {
        run: 'surgeguard replay scenarios/spaces-2024-08-12.yaml --report report/spaces',
        what: 'the 12 Aug 2024 Space, every policy, with an HTML report',
      },
      {
        run: 'surgeguard replay --event eu-town-hall-2027-03 --profile x2',
        what: 'rehearse a configured event with twice the audience',
      },
    ],
    load: () => replay().replay,
  },
  {
    name: 'review',
    group: 'Replay and review',
    summary: 'Write the post-event evidence pack (index.html, review.json) of one event, with a verdict.',
    description:
      "Post-event review: from the audit trail and the fleets' metrics, write an evidence pack (index.html, review.json) with a verdict in plain words.",
    options: [
      { flags: '--event <id>', description: 'the event to review', required: true },
      { flags: '-o, --out <dir>', description: 'folder to write the pack to (default: review-<event>)' },
      { flags: '--from <dir>', description: 'review a replay recording (surgeguard replay --record DIR)' },
      { flags: '--local <stateFile>', description: "review a local rehearsal's state file (no metrics)" },
      {
        flags: '--table <name>',
        description: "the deployed stack's DynamoDB table (its TableName output); metrics from CloudWatch",
      },
      { flags: '--region <region>', description: "the table's region (default: AWS_REGION)" },
      { flags: '--profile <name>', description: 'AWS profile to sign with (with --table)' },
      config('event config file (with --local or --table)'),
      { flags: '--json', description: 'print review.json to stdout' },
    ],
    examples: [
      {
        run: 'surgeguard review --event join-flood-200k --from /tmp/flood',
        what: 'review a replay recorded with `surgeguard replay --record /tmp/flood`',
      },
      {
        run: 'surgeguard review --event eu-town-hall-2027-03 --table SurgeGuard-Table-XXXX --region eu-west-1',
        what: 'review a deployed event',
      },
    ],
    load: () => review().review,
  },
  {
    name: 'status',
    group: 'On-call runbook',
    summary: 'Readiness before an event, and its state during it.',
    options: [eventOption('only this event'), ...RUNBOOK_OPTIONS],
    examples: [
      { run: 'surgeguard status --event eu-town-hall-2027-03', what: 'the T-60 check, against AWS' },
      {
        run: 'surgeguard status --local /tmp/rehearsal.json --event eu-town-hall-2027-03 --at T-60m',
        what: 'the same, rehearsed locally',
      },
    ],
    load: () => runbook().status,
  },
  {
    name: 'scale',
    group: 'On-call runbook',
    summary: 'A manual floor above the plan until it expires (below only with --force).',
    options: [
      eventOption('event', true),
      { flags: '--fleet <id>', description: 'fleet', required: true },
      { flags: '--to <tasks>', description: 'floor in tasks', conflicts: ['by'] },
      { flags: '--by <percent>', description: 'floor as a change of the current floor, in percent' },
      forOption,
      { flags: '--force', description: 'allow a floor below the plan during the event' },
      ...CHANGING_OPTIONS,
    ],
    examples: [
      {
        run: 'surgeguard scale -e eu-town-hall-2027-03 --fleet sfu-euw1 --by 20 --for 30m --reason "queue at the door"',
        what: 'raise the floor by 20% for half an hour',
      },
    ],
    load: () => runbook().scale,
  },
  {
    name: 'hold',
    group: 'On-call runbook',
    summary: 'Stop automation acting (decisions are still made and audited).',
    options: [
      eventOption('one event'),
      { flags: '--all', description: 'every event' },
      forOption,
      ...CHANGING_OPTIONS,
    ],
    examples: [
      {
        run: 'surgeguard hold --event eu-town-hall-2027-03 --for 1h --reason "manual control during the incident"',
        what: "hold one event's automation for an hour",
      },
    ],
    load: () => runbook().hold,
  },
  {
    name: 'resume',
    group: 'On-call runbook',
    summary: 'Let automation act again.',
    options: [eventOption('one event'), { flags: '--all', description: 'every event' }, ...CHANGING_OPTIONS],
    examples: [{ run: 'surgeguard resume --all --reason "incident over" --yes', what: 'end every hold' }],
    load: () => runbook().resume,
  },
  {
    name: 'shift',
    group: 'On-call runbook',
    summary: 'The event moved: its watch window, hold and restore move too (schedules included).',
    options: [
      eventOption('event', true),
      { flags: '--minutes <n>', description: 'minutes later (negative: earlier)', required: true },
      ...CHANGING_OPTIONS,
    ],
    examples: [
      {
        run: 'surgeguard shift --event eu-town-hall-2027-03 --minutes 40 --reason "host running late"',
        what: 'the event starts 40 minutes late',
      },
    ],
    load: () => runbook().shift,
  },
  {
    name: 'shield',
    group: 'On-call runbook',
    summary: 'Arm or disarm the shield by hand; wins over the detector until it expires.',
    args: [{ name: '<mode>', description: 'arm or disarm' }],
    options: [
      eventOption('event', true),
      { ...forOption, description: 'how long, such as 30m' },
      ...CHANGING_OPTIONS,
    ],
    examples: [
      {
        run: 'surgeguard shield arm --event eu-town-hall-2027-03 --for 30m --reason "confirmed flood"',
        what: 'block the flood now',
      },
    ],
    load: () => runbook().shield,
  },
  {
    name: 'restore',
    group: 'On-call runbook',
    summary: "Return an event's fleets to their recorded pre-event settings now.",
    options: [eventOption('event', true), ...CHANGING_OPTIONS],
    examples: [
      {
        run: 'surgeguard restore --event eu-town-hall-2027-03 --reason "event cancelled"',
        what: 'scale back now',
      },
    ],
    load: () => runbook().restore,
  },
  {
    name: 'dry-run',
    group: 'On-call runbook',
    summary:
      'Decide and audit but write nothing to ECS or Application Auto Scaling (on), or act again (off).',
    args: [{ name: '<state>', description: 'on or off' }],
    options: CHANGING_OPTIONS,
    examples: [
      { run: 'surgeguard dry-run on --reason "first deploy: watch only"', what: 'watch without acting' },
    ],
    load: () => runbook().dryRun,
  },
  {
    name: 'pause',
    group: 'On-call runbook',
    summary: 'Switch all automation off.',
    options: CHANGING_OPTIONS,
    examples: [
      { run: 'surgeguard pause --reason "scaling misbehaves"', what: 'stop every automated action' },
    ],
    load: () => runbook().pause,
  },
  {
    name: 'activate',
    group: 'On-call runbook',
    summary: 'Switch automation on.',
    options: CHANGING_OPTIONS,
    examples: [{ run: 'surgeguard activate --reason "fixed"', what: 'automation acts again' }],
    load: () => runbook().activate,
  },
  {
    name: 'audit',
    group: 'On-call runbook',
    summary: 'The audit trail: who did what, when and why.',
    options: [
      eventOption('one event'),
      { flags: '--since <duration>', description: 'how far back, such as 2h', default: '24h' },
      ...RUNBOOK_OPTIONS,
    ],
    examples: [
      {
        run: 'surgeguard audit --event eu-town-hall-2027-03 --since 2h',
        what: 'the last two hours of one event',
      },
    ],
    load: () => runbook().audit,
  },
];
