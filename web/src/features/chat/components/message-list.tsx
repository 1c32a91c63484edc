import { ChevronDown, MessageSquareDashed } from "lucide-react";
import { memo, useEffect, useId, useImperativeHandle, useLayoutEffect, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { Spinner } from "@/components/ui/spinner";
import { displayNameOf, useUserById } from "@/features/users/api/users";
import { DOT_LABEL, UserAvatar } from "@/features/users/components/user-avatar";
import { formatSeparator } from "@/lib/time-format";
import { cn } from "@/lib/utils";
import { nextListItems, type Group, type ListItem } from "../lib/grouping";
import { presenceDot } from "../lib/presence";
import { RovingFocus, rovingTarget } from "../lib/roving-focus";
import { decideScrollAction, isStuck, nextUnread } from "../lib/scroll";
import { MessageItem, type Row } from "./message-item";
import { RovingFocusContext, usePresence, useRoomCtx } from "./room-context";

/** Older history starts loading when the top sentinel is this close to the viewport. */
const SENTINEL_MARGIN_PX = 300;

export type MessageListHandle = {
  scrollToSeq: (seq: number) => boolean;
  /** The row of a message, if it is in the list. */
  rowOf: (seq: number) => HTMLElement | null;
  scrollToBottom: () => void;
};

function Separator({ at, now }: { at: number; now: number }) {
  return (
    <div className="my-3 flex items-center justify-center" role="separator">
      <span className="rounded-full bg-muted/70 px-3 py-0.5 text-[11px] font-medium text-muted-foreground">{formatSeparator(at, now)}</span>
    </div>
  );
}

function AuthorAvatar({ userId, bot }: { userId?: string; bot: boolean }) {
  const { actions } = useRoomCtx();
  const presence = usePresence();
  const user = useUserById(userId);
  const dot = userId ? presenceDot(presence.get(userId)) : undefined;
  const name = displayNameOf(user.data, userId);
  // The initials are decoration: the button's name (its screen-reader text, not an aria-label
  // that would differ from the visible initials) says what it does and the presence.
  return (
    <button
      type="button"
      className="sticky bottom-1 rounded-full focus-visible:ring-[3px] focus-visible:ring-ring/50 focus-visible:outline-none"
      onClick={() => userId && actions.mention(userId)}
      title={userId ? `Mention ${name}` : undefined}
      data-testid="author-avatar"
    >
      <span aria-hidden="true">
        <UserAvatar user={user.data} userId={userId} presence={dot} bot={bot} />
      </span>
      <span className="sr-only">{userId ? `Mention ${name}${dot ? ` (${DOT_LABEL[dot].toLowerCase()})` : ""}` : "Bot"}</span>
    </button>
  );
}

function AuthorName({ name }: { name: string }) {
  // The rows carry the name for screen readers; this is the visual one.
  return (
    <div className="truncate px-1 pb-0.5 text-xs font-medium text-muted-foreground" aria-hidden="true">
      {name}
    </div>
  );
}

const GroupView = memo(function GroupView({ group }: { group: Group<Row> }) {
  const author = useUserById(group.authorKind === "user" ? group.authorId : undefined);
  if (group.authorKind === "system") {
    const m = group.items[0].message;
    return (
      <div className="my-2 flex justify-center" data-testid="system-message">
        <span className="max-w-[85%] rounded-full bg-muted px-3 py-1 text-center text-xs text-muted-foreground">{m?.text}</span>
      </div>
    );
  }
  const bot = group.authorKind === "bot";
  const name = bot ? "Bot" : displayNameOf(author.data, group.authorId);
  return (
    <div className={cn("flex gap-2 py-1", group.mine && "justify-end")} data-testid="group">
      {!group.mine && (
        <div className="flex w-8 shrink-0 flex-col justify-end">
          <AuthorAvatar userId={group.authorId} bot={bot} />
        </div>
      )}
      <div className={cn("flex min-w-0 flex-1 flex-col gap-0.5", group.mine ? "items-end" : "items-start")}>
        {!group.mine && <AuthorName name={name} />}
        {group.items.map((r, i) => (
          <MessageItem key={r.key} row={r} mine={group.mine} first={i === 0} last={i === group.items.length - 1} authorName={group.mine ? "You" : name} />
        ))}
      </div>
    </div>
  );
});

export function MessageList({
  rows,
  hasMore,
  loadingOlder,
  historyError,
  onLoadOlder,
  stickSignal,
  ref,
  now,
}: {
  rows: Row[];
  hasMore: boolean;
  loadingOlder: boolean;
  historyError: boolean;
  onLoadOlder: () => void;
  /** Incremented when the user sends: follow to the bottom whatever the position. */
  stickSignal: number;
  ref?: React.Ref<MessageListHandle>;
  now: number;
}) {
  const { me, room } = useRoomCtx();
  const scrollRef = useRef<HTMLDivElement>(null);
  const contentRef = useRef<HTMLDivElement>(null);
  const sentinelRef = useRef<HTMLDivElement>(null);
  const stuckRef = useRef(true);
  const metrics = useRef({ scrollTop: 0, scrollHeight: 0 });
  const prevFirstKey = useRef<string | undefined>(undefined);
  const prevLastSeq = useRef(0);
  const initialDone = useRef(false);
  const lastStick = useRef(stickSignal);
  const [stuck, setStuck] = useState(true);
  const [unread, setUnread] = useState(0);
  const [sentinelVisible, setSentinelVisible] = useState(false);
  const [roving] = useState(() => new RovingFocus());
  const hintId = useId();

  // Unchanged groups keep their object identity, so memoized groups and bubbles skip rendering.
  // The previous list is state, updated while rendering when the rows change (React's pattern
  // for information from previous renders), not a ref written during render.
  const [layout, setLayout] = useState<{ rows: Row[]; meId: string; items: ListItem<Row>[] }>(() => ({
    rows,
    meId: me.id,
    items: nextListItems([], rows, me.id),
  }));
  let items = layout.items;
  if (layout.rows !== rows || layout.meId !== me.id) {
    items = nextListItems(layout.items, rows, me.id);
    setLayout({ rows, meId: me.id, items });
  }

  const record = () => {
    const el = scrollRef.current;
    if (el) metrics.current = { scrollTop: el.scrollTop, scrollHeight: el.scrollHeight };
  };

  const scrollToBottom = (smooth: boolean) => {
    const el = scrollRef.current;
    if (!el) return;
    el.scrollTo({ top: el.scrollHeight, behavior: smooth ? "smooth" : "auto" });
    stuckRef.current = true;
    setStuck(true);
    setUnread(0);
  };

  // After every change of the rows: keep the reading position, follow the bottom, count unread.
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const firstKey = rows[0]?.key;
    const initial = !initialDone.current && rows.length > 0;
    const prepended =
      !initial && prevFirstKey.current !== undefined && firstKey !== prevFirstKey.current && rows.some((r) => r.key === prevFirstKey.current);
    const forceStick = lastStick.current !== stickSignal;
    lastStick.current = stickSignal;
    const action = decideScrollAction({
      initial,
      prepended,
      stuck: stuckRef.current,
      forceStick,
      prevScrollTop: metrics.current.scrollTop,
      prevScrollHeight: metrics.current.scrollHeight,
      scrollHeight: el.scrollHeight,
    });
    if (action.type === "jump-bottom") scrollToBottom(false);
    else if (action.type === "smooth-bottom") {
      const far = el.scrollHeight - el.clientHeight - el.scrollTop > el.clientHeight * 2;
      scrollToBottom(!far);
    } else if (action.type === "compensate") el.scrollTop = action.top;

    // unread: confirmed messages from others appended while scrolled up
    let lastSeq = prevLastSeq.current;
    let arrived = 0;
    for (let i = rows.length - 1; i >= 0; i--) {
      const m = rows[i].message;
      if (!m) continue;
      if (m.seq <= prevLastSeq.current) break;
      if (m.author.userId !== me.id) arrived++;
      lastSeq = Math.max(lastSeq, m.seq);
    }
    if (initialDone.current && arrived > 0 && action.type !== "smooth-bottom" && action.type !== "jump-bottom") {
      setUnread((u) => nextUnread(u, arrived, stuckRef.current));
    }
    prevLastSeq.current = lastSeq;
    prevFirstKey.current = firstKey;
    roving.rowsChanged(new Set(rows.map((r) => r.key)), rows[rows.length - 1]?.key ?? null);
    if (rows.length > 0) initialDone.current = true;
    record();
  }, [rows, stickSignal, me.id, roving]);

  // Content that grows by itself (fonts, edits, later images): stay at the bottom if stuck.
  useEffect(() => {
    const el = scrollRef.current;
    const content = contentRef.current;
    if (!el || !content || typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(() => {
      if (el.scrollHeight === metrics.current.scrollHeight) return;
      if (stuckRef.current) el.scrollTop = el.scrollHeight;
      record();
    });
    ro.observe(content);
    return () => ro.disconnect();
  }, []);

  // Keyboard: the focused row is the list's one Tab stop; arrows, Page Up/Down, Home and End move
  // it (Tab then reaches the row's actions). Focus anywhere inside a row makes it the Tab stop.
  const onKeyDown = (e: React.KeyboardEvent<HTMLDivElement>) => {
    const target = e.target as HTMLElement;
    if (target.dataset.testid !== "message" || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    const all = [...(contentRef.current?.querySelectorAll<HTMLElement>('[data-testid="message"]') ?? [])];
    const to = rovingTarget(e.key, all.indexOf(target), all.length);
    if (to === null) return;
    e.preventDefault();
    all[to].focus();
    all[to].scrollIntoView({ block: "nearest" });
    if (to === 0 && e.key !== "ArrowDown" && hasMore && !loadingOlder) onLoadOlder();
  };
  const onFocus = (e: React.FocusEvent<HTMLDivElement>) => {
    const row = (e.target as HTMLElement).closest<HTMLElement>("[data-row-key]");
    if (row?.dataset.rowKey) roving.focus(row.dataset.rowKey);
  };

  const onScroll = () => {
    const el = scrollRef.current;
    if (!el) return;
    const s = isStuck({ scrollTop: el.scrollTop, scrollHeight: el.scrollHeight, clientHeight: el.clientHeight });
    stuckRef.current = s;
    setStuck(s);
    if (s) setUnread(0);
    record();
  };

  // The top sentinel: load older history when it comes near the viewport.
  useEffect(() => {
    const root = scrollRef.current;
    const target = sentinelRef.current;
    if (!root || !target || !hasMore) {
      setSentinelVisible(false);
      return;
    }
    const io = new IntersectionObserver(([e]) => setSentinelVisible(e.isIntersecting), { root, rootMargin: `${SENTINEL_MARGIN_PX}px 0px 0px 0px` });
    io.observe(target);
    return () => io.disconnect();
  }, [hasMore]);

  useEffect(() => {
    if (!sentinelVisible || !hasMore || loadingOlder || historyError || !initialDone.current) return;
    // The observer reports asynchronously: after a prepend moved the sentinel away it may still
    // say "visible". Check the geometry now so one scroll loads one page.
    const root = scrollRef.current;
    const target = sentinelRef.current;
    if (!root || !target) return;
    if (target.getBoundingClientRect().bottom < root.getBoundingClientRect().top - SENTINEL_MARGIN_PX) return;
    onLoadOlder();
  }, [sentinelVisible, hasMore, loadingOlder, historyError, rows.length, onLoadOlder]);

  useImperativeHandle(
    ref,
    () => ({
      scrollToSeq: (seq: number) => {
        const el = scrollRef.current?.querySelector<HTMLElement>(`[data-seq="${seq}"]`);
        if (!el) return false;
        el.scrollIntoView({ block: "center", behavior: "smooth" });
        const bubble = el.querySelector<HTMLElement>('[data-testid="bubble"]') ?? el;
        bubble.classList.remove("reply-flash");
        void bubble.offsetWidth;
        bubble.classList.add("reply-flash");
        setTimeout(() => bubble.classList.remove("reply-flash"), 1600);
        return true;
      },
      scrollToBottom: () => scrollToBottom(true),
      rowOf: (seq: number) => scrollRef.current?.querySelector<HTMLElement>(`[data-testid="message"][data-seq="${seq}"]`) ?? null,
    }),
  );

  return (
    <div className="relative min-h-0 flex-1">
      <div
        ref={scrollRef}
        onScroll={onScroll}
        className="h-full overflow-x-hidden overflow-y-auto overscroll-contain [overflow-anchor:none]"
        data-testid="message-scroller"
        role="region"
        aria-label={`Messages in ${room.name}`}
        aria-describedby={hintId}
      >
        {/* Not a live region: older pages prepended here must not be read out. New messages
            from others are announced by the room's announcer instead. */}
        <p id={hintId} className="sr-only">
          Use the up and down arrow keys to move between messages, and Tab to reach a message&apos;s actions.
        </p>
        {/* eslint-disable-next-line jsx-a11y/no-static-element-interactions -- not a widget: it hands arrow keys and focus between the message rows (roving tabindex), each of which is focusable */}
        <div ref={contentRef} className="mx-auto flex w-full max-w-3xl flex-col px-3 pt-2 pb-2 md:px-6" onKeyDown={onKeyDown} onFocus={onFocus}>
          {hasMore ? (
            <div ref={sentinelRef} className="flex h-12 items-center justify-center text-muted-foreground" data-testid="history-sentinel">
              {historyError ? (
                <Button variant="ghost" size="sm" onClick={onLoadOlder}>
                  Could not load older messages. Retry
                </Button>
              ) : (
                <Spinner />
              )}
            </div>
          ) : rows.length > 0 || room ? (
            <div className="flex flex-col items-center gap-1 py-8 text-center text-sm text-muted-foreground" data-testid="history-start">
              <MessageSquareDashed className="size-6" />
              <span>
                This is the beginning of <span className="font-medium text-foreground">{room.name}</span>
              </span>
            </div>
          ) : null}
          <RovingFocusContext value={roving}>
            {items.map((item) =>
              item.type === "separator" ? <Separator key={item.key} at={item.at} now={now} /> : <GroupView key={item.key} group={item} />,
            )}
          </RovingFocusContext>
        </div>
      </div>
      {!stuck && (
        <Button
          size="icon"
          variant="secondary"
          onClick={() => scrollToBottom(true)}
          className="absolute right-4 bottom-3 size-10 rounded-full border shadow-lg"
          // The visible count is part of the name (axe: label-content-name-mismatch; a count in
          // parentheses does not count as part of it).
          aria-label={unread > 0 ? `Jump to the latest messages, ${unread > 99 ? "99+" : unread} new` : "Jump to the latest messages"}
          data-testid="jump-to-bottom"
        >
          <ChevronDown className="size-5" />
          {unread > 0 && (
            <span
              className="absolute -top-1.5 -right-1.5 grid h-5 min-w-5 place-items-center rounded-full bg-primary px-1 text-[11px] font-semibold text-primary-foreground"
              data-testid="unread-count"
            >
              {unread > 99 ? "99+" : unread}
            </span>
          )}
        </Button>
      )}
    </div>
  );
}
