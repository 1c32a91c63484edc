// The room's message list as an immutable value, and every way the server or the user changes
// it. Pure: the optimistic bubbles (pending, keyed by clientId) are reconciled here with acks,
// echoes from other tabs, catch-up after reconnect and history pages.
import type { Message, ReplyRef } from "@/types/api";

/** One image of an image message being sent from here: the picked file and its upload. */
export type LocalImage = {
  /** The file as picked (in memory only: never written to storage). */
  file?: Blob;
  state: "uploading" | "done" | "failed";
  /** The storage key, once the server has the bytes. */
  key?: string;
  error?: string;
};

export type PendingMessage = {
  clientId: string;
  /** Absent on text messages (and on entries stored before images existed). */
  kind?: "text" | "image";
  /** "" for image messages. */
  text: string;
  /** Image messages: the keys, set once every image is stored; only then the frame is sent. */
  images?: string[];
  /** Image messages picked in this tab: the files and how their uploads went. */
  local?: LocalImage[];
  /** A caption: it is sent right after the image message with this clientId, never before. */
  after?: string;
  replyToSeq?: number;
  /** Local snapshot of the quoted message, for display until the server's arrives. */
  replyTo?: ReplyRef;
  createdAt: number;
  /** Set when the server refused it (visible failed state with retry). */
  error?: { code: string; message: string };
};

export type ChatState = {
  /** Ascending by seq, one entry per seq. */
  messages: Message[];
  /** Unconfirmed sends, oldest first. */
  pending: PendingMessage[];
  /** Older history exists before messages[0]. */
  hasMore: boolean;
  /** Highest seq seen: what hello {lastSeq} asks to catch up from. 0 = nothing yet. */
  lastSeq: number;
  /** After a catch-up reset, seqs strictly between after and before still need fetching. */
  gap: { after: number; before: number } | null;
  /** A welcome has been applied at least once. */
  loaded: boolean;
};

export const emptyChat: ChatState = {
  messages: [],
  pending: [],
  hasMore: false,
  lastSeq: 0,
  gap: null,
  loaded: false,
};

/** Which of two versions of the same message to keep: deletion wins, then the later edit. */
function newer(current: Message, incoming: Message): Message {
  if (current.deleted && !incoming.deleted) return current;
  if (incoming.deleted && !current.deleted) return incoming;
  if ((current.editedAt ?? 0) > (incoming.editedAt ?? 0)) return current;
  return { ...incoming, clientId: incoming.clientId ?? current.clientId };
}

/**
 * Merges incoming messages into a sorted list: sorted, no duplicates, newer version wins. Linear
 * in both lengths (two sorted runs are merged, nothing is re-sorted), and the list itself comes
 * back when nothing in it changes, so a repeated page or echo costs no re-render.
 */
export function mergeMessages(list: Message[], incoming: Message[]): Message[] {
  if (incoming.length === 0) return list;
  const sortedIn = isSorted(incoming) ? incoming : [...incoming].sort((a, b) => a.seq - b.seq);
  if (list.length === 0) return dedupeSorted(sortedIn);
  // Fast paths: all newer (live messages) or all older (a history page).
  if (sortedIn[0].seq > list[list.length - 1].seq) return [...list, ...dedupeSorted(sortedIn)];
  if (sortedIn[sortedIn.length - 1].seq < list[0].seq) return [...dedupeSorted(sortedIn), ...list];
  const out: Message[] = [];
  let changed = false;
  let i = 0;
  let j = 0;
  while (i < list.length || j < sortedIn.length) {
    const a = list[i];
    const b = sortedIn[j];
    let next: Message;
    if (b === undefined || (a !== undefined && a.seq < b.seq)) {
      next = a;
      i++;
    } else if (a === undefined || b.seq < a.seq) {
      next = b;
      j++;
      changed = true;
    } else {
      next = newer(a, b);
      if (next !== a && !sameMessage(a, next)) changed = true;
      else next = a;
      i++;
      j++;
    }
    const last = out[out.length - 1];
    if (last && last.seq === next.seq) {
      const kept = newer(last, next);
      if (kept !== last && !sameMessage(last, kept)) {
        out[out.length - 1] = kept;
        changed = true;
      }
    } else out.push(next);
  }
  return changed ? out : list;
}

function isSorted(ms: Message[]): boolean {
  for (let i = 1; i < ms.length; i++) if (ms[i].seq < ms[i - 1].seq) return false;
  return true;
}

/** The same version of a message (what the list shows would not change). */
function sameMessage(a: Message, b: Message): boolean {
  return (
    a.seq === b.seq &&
    a.deleted === b.deleted &&
    a.editedAt === b.editedAt &&
    a.text === b.text &&
    a.clientId === b.clientId &&
    a.replyTo?.snippet === b.replyTo?.snippet &&
    a.images?.join("\n") === b.images?.join("\n")
  );
}

function dedupeSorted(list: Message[]): Message[] {
  const out: Message[] = [];
  for (const m of list) {
    const last = out[out.length - 1];
    if (last && last.seq === m.seq) out[out.length - 1] = newer(last, m);
    else out.push(m);
  }
  return out;
}

const maxSeq = (ms: Message[]) => ms.reduce((a, m) => Math.max(a, m.seq), 0);

/** Drops pending entries that these messages confirm (my messages carrying their clientId). */
function settlePending(pending: PendingMessage[], messages: Message[], meId: string | undefined): PendingMessage[] {
  if (pending.length === 0) return pending;
  const confirmed = new Set<string>();
  for (const m of messages) {
    if (m.clientId && (meId === undefined || m.author.userId === meId)) confirmed.add(m.clientId);
  }
  if (confirmed.size === 0) return pending;
  const next = pending.filter((p) => !confirmed.has(p.clientId));
  return next.length === pending.length ? pending : next;
}

export type WelcomeInput = { messages: Message[]; hasMore: boolean; reset?: boolean; lastSeq: number };

/**
 * First welcome: the latest page. Later welcomes (reconnect with lastSeq) bring exactly the
 * missed messages, which are merged: loaded history and pending sends are never dropped. With
 * reset the server skipped some; the hole is remembered in `gap` to be filled by fetching.
 */
export function applyWelcome(state: ChatState, w: WelcomeInput, meId: string | undefined): ChatState {
  const first = !state.loaded || state.messages.length === 0;
  const messages = first ? mergeMessages([], w.messages) : mergeMessages(state.messages, w.messages);
  let gap = state.gap;
  if (!first && w.reset && w.messages.length > 0) {
    const oldestNew = Math.min(...w.messages.map((m) => m.seq));
    if (oldestNew > state.lastSeq + 1) gap = { after: state.lastSeq, before: oldestNew };
  }
  return {
    messages,
    pending: settlePending(state.pending, w.messages, meId),
    hasMore: first ? w.hasMore : state.hasMore,
    lastSeq: Math.max(state.lastSeq, w.lastSeq ?? 0, maxSeq(w.messages)),
    gap,
    loaded: true,
  };
}

/** A live message from someone (or from my other tab). */
export function applyMessage(state: ChatState, m: Message, meId: string | undefined): ChatState {
  return {
    ...state,
    messages: mergeMessages(state.messages, [m]),
    pending: settlePending(state.pending, [m], meId),
    lastSeq: Math.max(state.lastSeq, m.seq),
  };
}

/** The server accepted my send: the optimistic bubble becomes the real message. */
export function applyAck(state: ChatState, clientId: string, m: Message): ChatState {
  const withId = m.clientId ? m : { ...m, clientId };
  return {
    ...state,
    messages: mergeMessages(state.messages, [withId]),
    pending: state.pending.filter((p) => p.clientId !== clientId),
    lastSeq: Math.max(state.lastSeq, m.seq),
  };
}

/** An edit or a deletion. Messages older than what is loaded are ignored (fetched fresh later). */
export function applyUpdate(state: ChatState, m: Message): ChatState {
  const oldest = state.messages[0]?.seq;
  if (oldest === undefined || m.seq < oldest) return state;
  const messages = mergeMessages(state.messages, [m]);
  const lastSeq = Math.max(state.lastSeq, m.seq);
  return messages === state.messages && lastSeq === state.lastSeq ? state : { ...state, messages, lastSeq };
}

/** An older page (ascending). hasMore tells whether anything is older still. */
export function applyHistory(state: ChatState, messages: Message[], hasMore: boolean): ChatState {
  const oldestBefore = state.messages[0]?.seq ?? Infinity;
  const reachesOlder = messages.length === 0 || messages[0].seq < oldestBefore;
  const merged = mergeMessages(state.messages, messages);
  const nextHasMore = reachesOlder ? hasMore : state.hasMore;
  if (merged === state.messages && nextHasMore === state.hasMore) return state; // a page seen before
  return { ...state, messages: merged, hasMore: nextHasMore };
}

/** Messages fetched to fill the gap left by a reset; clears the gap once it is covered. */
export function applyGapFill(state: ChatState, messages: Message[]): ChatState {
  if (!state.gap) return applyHistory(state, messages, state.hasMore);
  const merged = mergeMessages(state.messages, messages);
  const have = new Set(merged.map((m) => m.seq));
  let covered = true;
  for (let s = state.gap.after + 1; s < state.gap.before; s++) {
    if (!have.has(s)) {
      covered = false;
      break;
    }
  }
  return { ...state, messages: merged, gap: covered ? null : state.gap };
}

export function addPending(state: ChatState, p: PendingMessage): ChatState {
  if (state.pending.some((x) => x.clientId === p.clientId)) return state;
  return { ...state, pending: [...state.pending, p] };
}

export function failPending(state: ChatState, clientId: string, error: { code: string; message: string }): ChatState {
  if (!state.pending.some((p) => p.clientId === clientId)) return state;
  return { ...state, pending: state.pending.map((p) => (p.clientId === clientId ? { ...p, error } : p)) };
}

export function retryPending(state: ChatState, clientId: string): ChatState {
  return {
    ...state,
    pending: state.pending.map((p) => (p.clientId === clientId ? { ...p, error: undefined } : p)),
  };
}

export function removePending(state: ChatState, clientId: string): ChatState {
  return { ...state, pending: state.pending.filter((p) => p.clientId !== clientId) };
}

/** Replaces one pending entry by what `fn` makes of it (the state itself when it is not there). */
export function updatePending(state: ChatState, clientId: string, fn: (p: PendingMessage) => PendingMessage): ChatState {
  let changed = false;
  const pending = state.pending.map((p) => {
    if (p.clientId !== clientId) return p;
    const next = fn(p);
    if (next !== p) changed = true;
    return next;
  });
  return changed ? { ...state, pending } : state;
}

/** The images that are not stored yet go (back) to uploading; the message's error is cleared. */
export function startUpload(p: PendingMessage): PendingMessage {
  if (!p.local) return p;
  return { ...p, error: undefined, local: p.local.map((l) => (l.state === "done" ? l : { file: l.file, state: "uploading" })) };
}

/** One image's upload settled. */
export function settleImage(p: PendingMessage, index: number, r: { ok: true; key: string } | { ok: false; error: string }): PendingMessage {
  if (!p.local || !p.local[index] || p.local[index].state !== "uploading") return p;
  const local = [...p.local];
  local[index] = r.ok ? { file: local[index].file, state: "done", key: r.key } : { file: local[index].file, state: "failed", error: r.error };
  return { ...p, local };
}

/**
 * After every upload of the message settled: ready (its keys are set, the frame can go) or
 * failed (with a message-level error that offers Retry). Still uploading: unchanged.
 */
export function finishUpload(p: PendingMessage): PendingMessage {
  if (!p.local || p.local.some((l) => l.state === "uploading")) return p;
  const failed = p.local.filter((l) => l.state === "failed");
  if (failed.length === 0) return { ...p, images: p.local.map((l) => l.key!), error: undefined };
  const n = p.local.length;
  const what = n === 1 ? "The image could not be uploaded" : `${failed.length} of ${n} images could not be uploaded`;
  return { ...p, error: { code: "upload_failed", message: `${what}: ${failed[0].error ?? "unknown error"}` } };
}

/** Whether this entry is still waiting for its images to be stored. */
export const awaitingUpload = (p: PendingMessage): boolean => p.kind === "image" && !p.images;

export const oldestSeq = (s: ChatState): number | undefined => s.messages[0]?.seq;
export const findMessage = (s: ChatState, seq: number): Message | undefined => {
  // binary search: messages are sorted by seq
  let lo = 0;
  let hi = s.messages.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const m = s.messages[mid];
    if (m.seq === seq) return m;
    if (m.seq < seq) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
};
