/** Tasks that carry the same number of listeners each. */
export interface LoadGroup {
  readonly tasks: number;
  /** Listeners on each of these tasks. */
  readonly per: number;
}

/** Loads closer than this (listeners a task) are one level. */
const SAME_LEVEL = 1e-6;

/**
 * Listeners on each of a fleet's tasks that take joins, grouped by load, lightest first. Listeners stay on the task
 * they joined: a task launched after the audience came carries no one until new joins come, and the SFU places a
 * join on the least-loaded task, so new joins fill the lightest tasks first. Task counts may be fractional (tasks
 * taken without regard to load come out of every group in proportion).
 */
export class TaskLoads {
  private groups: { tasks: number; per: number }[] = [];

  /** Tasks counted. */
  get tasks(): number {
    return this.groups.reduce((sum, g) => sum + g.tasks, 0);
  }

  /** Listeners on them. */
  get listeners(): number {
    return this.groups.reduce((sum, g) => sum + g.tasks * g.per, 0);
  }

  /** The groups, lightest first (a copy). */
  get levels(): readonly LoadGroup[] {
    return this.groups.map((g) => ({ ...g }));
  }

  /** Adds `tasks` tasks carrying `per` listeners each. */
  add(tasks: number, per: number): void {
    if (!(tasks > 0)) return;
    const level = Math.max(0, per);
    const i = this.groups.findIndex((g) => g.per >= level - SAME_LEVEL);
    const at = i < 0 ? this.groups.length : i;
    const same = this.groups[at];
    if (same && Math.abs(same.per - level) <= SAME_LEVEL) same.tasks += tasks;
    else this.groups.splice(at, 0, { tasks, per: level });
  }

  /** Places `listeners` new joins on the lightest tasks, raising them level by level. */
  fill(listeners: number): void {
    let left = listeners;
    while (left > 0 && this.groups.length) {
      const low = this.groups[0]!;
      const next = this.groups[1];
      const room = next ? (next.per - low.per) * low.tasks : Infinity;
      if (left < room) {
        low.per += left / low.tasks;
        return;
      }
      left -= room;
      next!.tasks += low.tasks;
      this.groups.shift();
    }
  }

  /** Takes `listeners` away, each listener as likely to go as any other (every task loses its share). */
  shed(listeners: number): void {
    const total = this.listeners;
    if (!(listeners > 0) || !(total > 0)) return;
    const keep = Math.max(0, 1 - listeners / total);
    for (const g of this.groups) g.per *= keep;
    this.compact();
  }

  /**
   * Removes up to `k` whole tasks that carry under `below` listeners each, the lightest first, and returns how many
   * it removed and the listeners on them.
   */
  takeEmpty(k: number, below: number): { tasks: number; listeners: number } {
    const available = this.groups.reduce((sum, g) => sum + (g.per < below ? g.tasks : 0), 0);
    const tasks = Math.max(0, Math.min(Math.floor(k), Math.floor(available + SAME_LEVEL)));
    // Whole tasks: a share of a task left from an earlier split comes out of the next level up.
    let left = tasks;
    let listeners = 0;
    while (left > 0 && this.groups.length) {
      const g = this.groups[0]!;
      const n = Math.min(left, g.tasks);
      listeners += n * g.per;
      g.tasks -= n;
      left -= n;
      if (g.tasks <= 0) this.groups.shift();
    }
    this.compact();
    return { tasks, listeners };
  }

  /** Removes `k` tasks picked without regard to their load and returns the listeners they carried. */
  takeAny(k: number): number {
    const total = this.tasks;
    if (!(k > 0) || !(total > 0)) return 0;
    const share = Math.min(1, k / total);
    let listeners = 0;
    for (const g of this.groups) {
      listeners += g.tasks * share * g.per;
      g.tasks -= g.tasks * share;
    }
    this.groups = this.groups.filter((g) => g.tasks > 0);
    this.compact();
    return listeners;
  }

  /**
   * Folds a level into its neighbour when the two are one level, or when it holds less than a millionth of a task
   * (what splits leave): tasks and listeners are kept, so the counts never drift from the fleet's.
   */
  private compact(): void {
    for (let i = this.groups.length - 1; i >= 0 && this.groups.length > 1; i--) {
      const g = this.groups[i]!;
      const into = this.groups[i > 0 ? i - 1 : 1]!;
      if (g.tasks > SAME_LEVEL && Math.abs(g.per - into.per) > SAME_LEVEL) continue;
      into.per = (into.per * into.tasks + g.per * g.tasks) / (into.tasks + g.tasks);
      into.tasks += g.tasks;
      this.groups.splice(i, 1);
    }
  }
}
