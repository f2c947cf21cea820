import type { Log, SavedRuleOverrides, WafSwitch } from '../ports';
import type { GlobalState, StateStore } from '../ports/state';
import { VersionConflictError } from '../ports/state';
import { errorMessage } from '../core/errors';

/** Conditional writes of the global state tried before giving up on a busy switch. */
const GLOBAL_WRITE_ATTEMPTS = 3;

/**
 * Switches the web ACL's rules, keeping the managed-group overrides an arm replaces in the global state (the web
 * ACL is shared by every event) until the disarm puts them back exactly. The first arm's record wins: it is what
 * the team had. A failed state write is logged, not thrown: the web ACL did change, and a disarm without the
 * record still removes the overrides the arm added.
 */
export async function switchWaf(
  waf: WafSwitch,
  state: StateStore,
  log: Log,
  mode: 'armed' | 'disarmed',
): Promise<{ changed: string[] }> {
  if (mode === 'disarmed') {
    const saved = (await state.getGlobal()).wafOverrides;
    const res = await waf.apply('disarmed', saved);
    if (saved) {
      await updateGlobal(state, log, (g) => {
        const { wafOverrides: _restored, ...rest } = g;
        return rest;
      });
    }
    return { changed: res.changed };
  }
  const res = await waf.apply('armed');
  const saved: SavedRuleOverrides | undefined = res.saved;
  if (saved && Object.keys(saved).length)
    await updateGlobal(state, log, (g) => ({ ...g, wafOverrides: { ...saved, ...g.wafOverrides } }));
  return { changed: res.changed };
}

async function updateGlobal(
  state: StateStore,
  log: Log,
  change: (g: Omit<GlobalState, 'version'>) => Omit<GlobalState, 'version'>,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const g = await state.getGlobal();
      const { version, ...rest } = g;
      await state.putGlobal(change(rest), version);
      return;
    } catch (err) {
      if (err instanceof VersionConflictError && attempt < GLOBAL_WRITE_ATTEMPTS) continue;
      log.error('recording the web ACL overrides failed', { error: errorMessage(err) });
      return;
    }
  }
}
