import { BadPayloadError } from './payload';

/** One parameter of an SSM Automation document. */
export interface AutomationParam {
  readonly type: 'String' | 'Integer' | 'Boolean';
  readonly description: string;
  readonly default?: string | number | boolean;
}

/** Parameter values as SSM recorded them for an execution, converted to their types. */
type Values = Readonly<Record<string, string | number | boolean>>;

/** A runbook operation wrapped by an SSM Automation document (console, Incident Manager, alarm actions). */
export interface Automation {
  readonly name: string;
  readonly description: string;
  readonly params: Readonly<Record<string, AutomationParam>>;
  /** The runbook request the execution's parameters make. */
  readonly request: (p: Values) => Record<string, unknown>;
}

const EVENT_ID: AutomationParam = { type: 'String', description: 'event id' };
const REASON: AutomationParam = { type: 'String', description: 'why (recorded in the audit trail)' };
const forMinutes = (d: number): AutomationParam => ({
  type: 'Integer',
  description: 'how long, in minutes',
  default: d,
});

/** The runbook operations SSM Automation documents wrap; status and audit stay with the read-only URL. */
export const AUTOMATIONS: readonly Automation[] = [
  {
    name: 'Scale',
    description: 'Set a manual floor above the plan until it expires',
    params: {
      EventId: EVENT_ID,
      FleetId: { type: 'String', description: 'fleet id' },
      Tasks: { type: 'Integer', description: 'floor in tasks' },
      ForMinutes: forMinutes(60),
      Force: { type: 'Boolean', description: 'allow below the plan', default: false },
      Reason: REASON,
    },
    request: (p) => ({
      op: 'scale',
      eventId: p.EventId,
      fleetId: p.FleetId,
      to: p.Tasks,
      forMinutes: p.ForMinutes,
      force: p.Force,
      reason: p.Reason,
    }),
  },
  {
    name: 'Hold',
    description: 'Stop automation acting for an event (decisions are still made and audited)',
    params: { EventId: EVENT_ID, ForMinutes: forMinutes(30), Reason: REASON },
    request: (p) => ({ op: 'hold', eventId: p.EventId, forMinutes: p.ForMinutes, reason: p.Reason }),
  },
  {
    name: 'HoldAll',
    description: 'Stop automation acting for every event',
    params: { ForMinutes: forMinutes(30), Reason: REASON },
    request: (p) => ({ op: 'hold', all: true, forMinutes: p.ForMinutes, reason: p.Reason }),
  },
  {
    name: 'Resume',
    description: 'Let automation act again for an event',
    params: { EventId: EVENT_ID, Reason: REASON },
    request: (p) => ({ op: 'resume', eventId: p.EventId, reason: p.Reason }),
  },
  {
    name: 'Shift',
    description: 'The event moved: move its window and schedules',
    params: {
      EventId: EVENT_ID,
      Minutes: { type: 'Integer', description: 'minutes later (negative: earlier)' },
      Reason: REASON,
    },
    request: (p) => ({ op: 'shift', eventId: p.EventId, minutes: p.Minutes, reason: p.Reason }),
  },
  ...(['arm', 'disarm'] as const).map((mode): Automation => ({
    name: mode === 'arm' ? 'ShieldArm' : 'ShieldDisarm',
    description: `${mode === 'arm' ? 'Arm' : 'Disarm'} the shield by hand until it expires`,
    params: { EventId: EVENT_ID, ForMinutes: forMinutes(30), Reason: REASON },
    request: (p) => ({ op: 'shield', mode, eventId: p.EventId, forMinutes: p.ForMinutes, reason: p.Reason }),
  })),
  {
    name: 'Restore',
    description: "Return an event's fleets to their recorded settings now",
    params: { EventId: EVENT_ID, Reason: REASON },
    request: (p) => ({ op: 'restore', eventId: p.EventId, reason: p.Reason }),
  },
  {
    name: 'Pause',
    description: 'Switch all automation off',
    params: { Reason: REASON },
    request: (p) => ({ op: 'pause', reason: p.Reason }),
  },
  {
    name: 'Activate',
    description: 'Switch automation on',
    params: { Reason: REASON },
    request: (p) => ({ op: 'activate', reason: p.Reason }),
  },
  {
    name: 'DryRunOn',
    description: 'Decide and audit but write nothing to ECS or Application Auto Scaling',
    params: { Reason: REASON },
    request: (p) => ({ op: 'dry-run', on: true, reason: p.Reason }),
  },
  {
    name: 'DryRunOff',
    description: 'Act again after a dry run',
    params: { Reason: REASON },
    request: (p) => ({ op: 'dry-run', on: false, reason: p.Reason }),
  },
];

/** The name of an automation document: the deployment's stem (`<namePrefix>-<region>`) and the automation. */
export function automationDocumentName(stem: string, automation: string): string {
  return `${stem}-${automation}`;
}

/**
 * The runbook request an automation execution stands for, built from what SSM recorded (its document and its
 * parameters), never from the invocation payload. A document that is not one of this region's is refused.
 */
export function automationRequest(
  /** The deployment's document stem, `<namePrefix>-<region>`. */
  stem: string,
  documentName: string,
  parameters: Readonly<Record<string, readonly string[]>>,
): Record<string, unknown> {
  const automation = AUTOMATIONS.find((a) => automationDocumentName(stem, a.name) === documentName);
  if (!automation)
    throw new BadPayloadError(`refused: ${documentName} is not one of this stack's automation documents`);
  const values: Record<string, string | number | boolean> = {};
  for (const [key, param] of Object.entries(automation.params)) {
    const raw = parameters[key]?.[0] ?? (param.default === undefined ? undefined : String(param.default));
    if (raw === undefined) throw new BadPayloadError(`bad request: parameter ${key} missing`);
    if (param.type === 'String') values[key] = raw;
    else if (param.type === 'Boolean') {
      if (raw !== 'true' && raw !== 'false')
        throw new BadPayloadError(`bad request: parameter ${key}: expected true or false, got ${raw}`);
      values[key] = raw === 'true';
    } else {
      const n = Number(raw);
      if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(n))
        throw new BadPayloadError(`bad request: parameter ${key}: expected a whole number, got ${raw}`);
      values[key] = n;
    }
  }
  return automation.request(values);
}
