// The Idle Detection API (Chromium only), typed here because lib.dom does not know it yet.

export type IdleState = { user: "active" | "idle"; screen: "locked" | "unlocked" };

type IdleDetectorInstance = EventTarget & {
  userState: "active" | "idle" | null;
  screenState: "locked" | "unlocked" | null;
  start(o: { threshold: number; signal?: AbortSignal }): Promise<void>;
};
type IdleDetectorCtor = {
  new (): IdleDetectorInstance;
  requestPermission(): Promise<"granted" | "denied">;
};

export const IDLE_THRESHOLD_MS = 60_000;

function ctor(): IdleDetectorCtor | undefined {
  return (globalThis as unknown as { IdleDetector?: IdleDetectorCtor }).IdleDetector;
}

export const idleDetectionSupported = () => ctor() !== undefined;

export async function requestIdlePermission(): Promise<boolean> {
  const C = ctor();
  if (!C) return false;
  try {
    return (await C.requestPermission()) === "granted";
  } catch {
    return false;
  }
}

/** Starts watching; calls onChange on every change. Stops when the signal aborts. */
export async function watchIdle(onChange: (s: IdleState) => void, signal: AbortSignal): Promise<boolean> {
  const C = ctor();
  if (!C) return false;
  try {
    const d = new C();
    const emit = () => onChange({ user: d.userState ?? "active", screen: d.screenState ?? "unlocked" });
    d.addEventListener("change", emit);
    await d.start({ threshold: IDLE_THRESHOLD_MS, signal });
    emit();
    return true;
  } catch {
    return false;
  }
}
