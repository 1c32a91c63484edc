// Frames that must reach the server exactly once, keyed by clientId. Survives reconnects: a
// frame written to a socket that then dropped goes back to "queued" and is written again on
// the next connection; the server answers a repeated clientId with the original ack, so a
// resend never duplicates. Removed only by its ack (or by the user discarding it).

export type QueueState = "queued" | "inflight" | "failed";

type Entry<F> = { frame: F; state: QueueState; attempts: number };

export class SendQueue<F extends { clientId: string }> {
  private readonly entries = new Map<string, Entry<F>>();

  /** Adds a frame (no-op if the clientId is already queued or in flight; re-queues a failed one). */
  enqueue(frame: F): void {
    const e = this.entries.get(frame.clientId);
    if (e) {
      if (e.state === "failed") e.state = "queued";
      return;
    }
    this.entries.set(frame.clientId, { frame, state: "queued", attempts: 0 });
  }

  /** The queued frames in order, now marked in flight. */
  takeSendable(): F[] {
    const out: F[] = [];
    for (const e of this.entries.values()) {
      if (e.state === "queued") {
        e.state = "inflight";
        e.attempts++;
        out.push(e.frame);
      }
    }
    return out;
  }

  /** The server acknowledged: forget it. Returns whether it was known. */
  ack(clientId: string): boolean {
    return this.entries.delete(clientId);
  }

  /** The server refused it: keep it, but do not resend until retry(). */
  fail(clientId: string): void {
    const e = this.entries.get(clientId);
    if (e) e.state = "failed";
  }

  retry(clientId: string): void {
    const e = this.entries.get(clientId);
    if (e && e.state === "failed") e.state = "queued";
  }

  remove(clientId: string): void {
    this.entries.delete(clientId);
  }

  /** The socket closed: whatever was in flight may not have arrived, so send it again later. */
  connectionLost(): void {
    for (const e of this.entries.values()) if (e.state === "inflight") e.state = "queued";
  }

  state(clientId: string): QueueState | undefined {
    return this.entries.get(clientId)?.state;
  }

  attempts(clientId: string): number {
    return this.entries.get(clientId)?.attempts ?? 0;
  }

  get size(): number {
    return this.entries.size;
  }

  ids(): string[] {
    return [...this.entries.keys()];
  }
}
