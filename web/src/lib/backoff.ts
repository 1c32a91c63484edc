// Reconnect delay: exponential with "equal jitter", so many clients dropped by one server
// restart do not come back in lockstep.

export type BackoffOptions = { baseMs?: number; maxMs?: number };

/** attempt 0 → 250..500 ms, 1 → 500..1000 ms, ... capped at maxMs (default 15 s). */
export function backoffDelay(attempt: number, random: () => number = Math.random, o: BackoffOptions = {}): number {
  const base = o.baseMs ?? 500;
  const max = o.maxMs ?? 15_000;
  const ceiling = Math.min(max, base * 2 ** Math.max(0, Math.min(attempt, 30)));
  const half = ceiling / 2;
  return Math.round(half + random() * half);
}
