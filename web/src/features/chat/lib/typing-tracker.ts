// Typing indicator, both directions. Plain classes with injected timers (tested without a DOM).

export type Timers = {
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (id: unknown) => void;
  now: () => number;
};

export const realTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (id) => globalThis.clearTimeout(id as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

/**
 * Sender side: the first keystroke after a pause reports typing=true, each keystroke restarts a
 * 2 s timer, and the timer, a submit, a blur or dispose report false. Only transitions are sent.
 */
export class TypingSender {
  private active = false;
  private timer: unknown = null;
  private readonly send: (active: boolean) => void;
  private readonly idleMs: number;
  private readonly timers: Timers;

  constructor(send: (active: boolean) => void, idleMs = 2000, timers: Timers = realTimers) {
    this.send = send;
    this.idleMs = idleMs;
    this.timers = timers;
  }

  keystroke(): void {
    if (!this.active) {
      this.active = true;
      this.send(true);
    }
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = this.timers.setTimeout(() => this.stop(), this.idleMs);
  }

  stop(): void {
    if (this.timer !== null) {
      this.timers.clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.active) {
      this.active = false;
      this.send(false);
    }
  }

  /** After a reconnect the server forgot our state: say it again if still typing. */
  resend(): void {
    if (this.active) this.send(true);
  }

  get isActive(): boolean {
    return this.active;
  }
}

/**
 * Receiver side: who is typing now. An entry expires after `ttlMs` without a refresh, in case the
 * "false" never comes (the server also clears it when the typer's last socket leaves).
 */
export class TypingRoster {
  private readonly until = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(ttlMs = 8000, now: () => number = () => Date.now()) {
    this.ttlMs = ttlMs;
    this.now = now;
  }

  set(userId: string, active: boolean): void {
    if (active) this.until.set(userId, this.now() + this.ttlMs);
    else this.until.delete(userId);
  }

  clear(): void {
    this.until.clear();
  }

  /** Typers in the order they started, without me, with expired ones removed. */
  list(meId?: string): string[] {
    const t = this.now();
    for (const [id, until] of this.until) if (until <= t) this.until.delete(id);
    return [...this.until.keys()].filter((id) => id !== meId);
  }
}
