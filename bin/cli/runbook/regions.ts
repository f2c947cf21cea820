import type { Config } from '../../../lambda/core/config/schema';
import type { RunbookResponse } from '../../../lambda/controller/runbook';
import { errorMessage } from '../../../lambda/core/errors';
import { UserError } from '../io';
import type { Transport } from './transport';

/** Requests that only read; every other operation changes something. */
const READS = new Set(['status', 'audit']);

/**
 * The regions whose runbooks a request must reach. Each regional stack acts only on its own fleets, so an event
 * with fleets in two regions is held, shifted or restored in both; a fleet's floor is set where the fleet runs; the
 * shield is switched where its web ACL lives.
 */
export function regionsFor(config: Config, request: Record<string, unknown>): string[] {
  const unique = (xs: string[]) => [...new Set(xs)];
  const regionOfFleet = new Map(config.fleets.map((f) => [f.id, f.region]));
  const hint = 'pass --region to ask one stack directly';
  if (request.op === 'scale') {
    const region = regionOfFleet.get(String(request.fleetId));
    if (!region) throw new UserError(`fleet "${String(request.fleetId)}" is not in the config; ${hint}`);
    return [region];
  }
  if (request.op === 'shield') {
    if (!config.shield) throw new UserError(`the config has no shield; ${hint}`);
    return [config.shield.webAcl.region];
  }
  if (typeof request.eventId === 'string') {
    const event = config.events.find((e) => e.id === request.eventId);
    if (!event) throw new UserError(`event "${request.eventId}" is not in the config; ${hint}`);
    return unique(event.fleets.map((f) => regionOfFleet.get(f.fleet)!));
  }
  return unique(config.fleets.map((f) => f.region));
}

/** One region's answer, or why there is none. */
export interface RegionalAnswer {
  readonly region: string;
  readonly response?: RunbookResponse;
  readonly error?: string;
  /** For a change undone after another region failed: the undo's answer. */
  readonly undo?: { readonly response?: RunbookResponse; readonly error?: string };
  /** A change not sent because an earlier region failed. */
  readonly skipped?: boolean;
}

async function ask(transport: Transport, request: Record<string, unknown>) {
  try {
    return { response: await transport.send(request) };
  } catch (err) {
    return { error: err instanceof UserError ? err.message : errorMessage(err) };
  }
}

/**
 * Sends a request to every region's runbook. Reads go everywhere at once. Changes go one region at a time and stop
 * at the first failure, so no more regions drift apart; a shift already made elsewhere is shifted back, because an
 * event half moved is worse than an event not moved. Other changes are safe to repeat and are reported region by
 * region for on-call to finish.
 */
export async function sendToRegions(
  regions: readonly string[],
  transportFor: (region: string) => Transport,
  request: Record<string, unknown>,
): Promise<RegionalAnswer[]> {
  if (READS.has(String(request.op)))
    return Promise.all(
      regions.map(async (region) => ({ region, ...(await ask(transportFor(region), request)) })),
    );

  const answers: RegionalAnswer[] = [];
  let failed = false;
  for (const region of regions) {
    if (failed) {
      answers.push({ region, skipped: true });
      continue;
    }
    const answer = { region, ...(await ask(transportFor(region), request)) };
    answers.push(answer);
    failed = answer.error !== undefined;
  }
  if (!failed || request.op !== 'shift') return answers;
  const undo = {
    ...request,
    minutes: -Number(request.minutes),
    reason: `undo: the shift failed in ${answers.find((a) => a.error)!.region} (${String(request.reason)})`,
  };
  return Promise.all(
    answers.map(async (a) => (a.response ? { ...a, undo: await ask(transportFor(a.region), undo) } : a)),
  );
}

/** What went wrong across regions, in one line for on-call; undefined when every region answered. */
export function regionalFailure(answers: readonly RegionalAnswer[]): string | undefined {
  const failed = answers.filter((a) => a.error !== undefined);
  if (!failed.length) return undefined;
  const done = answers.filter((a) => a.response && !a.undo).map((a) => a.region);
  const undone = answers.filter((a) => a.undo?.response).map((a) => a.region);
  const stuck = answers.filter((a) => a.undo?.error).map((a) => a.region);
  const skipped = answers.filter((a) => a.skipped).map((a) => a.region);
  const parts = failed.map((a) => `${a.region}: ${a.error}`);
  if (done.length) parts.push(`ok in ${done.join(', ')}`);
  if (undone.length) parts.push(`undone in ${undone.join(', ')}`);
  if (stuck.length) parts.push(`could NOT be undone in ${stuck.join(', ')}: check with status`);
  if (skipped.length) parts.push(`not sent to ${skipped.join(', ')}`);
  return parts.join('; ');
}
