import { minutes, zonedToUtcMs } from '../time';
import type { EventConfig } from './schema';

/** The scheduled start of an event as a UTC instant in ms. */
export function eventStartMs(event: Pick<EventConfig, 'start'>): number {
  return typeof event.start === 'string'
    ? Date.parse(event.start)
    : zonedToUtcMs(event.start.local, event.start.zone);
}

/** The scheduled end of an event as a UTC instant in ms. */
export function eventEndMs(event: Pick<EventConfig, 'start' | 'durationMinutes'>): number {
  return eventStartMs(event) + minutes(event.durationMinutes);
}
