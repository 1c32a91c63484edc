import { describe, expect, it } from "vitest";
import { SendQueue } from "./send-queue";

type F = { clientId: string; text: string };
const f = (clientId: string): F => ({ clientId, text: clientId });

describe("SendQueue", () => {
  it("hands out queued frames once, in order", () => {
    const q = new SendQueue<F>();
    q.enqueue(f("a"));
    q.enqueue(f("b"));
    expect(q.takeSendable().map((x) => x.clientId)).toEqual(["a", "b"]);
    expect(q.takeSendable()).toEqual([]);
    expect(q.state("a")).toBe("inflight");
  });

  it("does not duplicate a clientId", () => {
    const q = new SendQueue<F>();
    q.enqueue(f("a"));
    q.enqueue(f("a"));
    expect(q.size).toBe(1);
  });

  it("resends in-flight frames after the connection is lost, until acked", () => {
    const q = new SendQueue<F>();
    q.enqueue(f("a"));
    q.enqueue(f("b"));
    q.takeSendable();
    q.ack("a");
    q.connectionLost();
    q.enqueue(f("c")); // typed while offline
    expect(q.takeSendable().map((x) => x.clientId)).toEqual(["b", "c"]);
    expect(q.attempts("b")).toBe(2);
    q.ack("b");
    q.ack("c");
    expect(q.size).toBe(0);
  });

  it("keeps a failed frame out of resends until retried", () => {
    const q = new SendQueue<F>();
    q.enqueue(f("a"));
    q.takeSendable();
    q.fail("a");
    q.connectionLost();
    expect(q.takeSendable()).toEqual([]);
    q.retry("a");
    expect(q.takeSendable().map((x) => x.clientId)).toEqual(["a"]);
  });

  it("re-queues a failed frame when enqueued again and forgets removed ones", () => {
    const q = new SendQueue<F>();
    q.enqueue(f("a"));
    q.takeSendable();
    q.fail("a");
    q.enqueue(f("a"));
    expect(q.state("a")).toBe("queued");
    q.remove("a");
    expect(q.size).toBe(0);
    expect(q.ack("a")).toBe(false);
  });
});
