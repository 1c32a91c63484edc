import { useQueryClient } from "@tanstack/react-query";
import { Lock, PictureInPicture2, SearchX, UserX } from "lucide-react";
import { useEffect, useMemo, useRef, useState } from "react";
import { createPortal } from "react-dom";
import { Link, useNavigate } from "react-router";
import { toast } from "sonner";
import { confirm } from "@/components/confirm-dialog";
import { SidebarTrigger } from "@/components/layouts/sidebar-context";
import { Button } from "@/components/ui/button";
import { PortalContainerContext } from "@/components/ui/portal-container";
import { Skeleton } from "@/components/ui/skeleton";
import { roomKeys, useRoom } from "@/features/rooms/api/rooms";
import { displayNameOf, useUsersById, userKey } from "@/features/users/api/users";
import { useNow } from "@/hooks/use-now";
import { errorMessage, isApiError } from "@/lib/api-client";
import { cn } from "@/lib/utils";
import type { Message, Room, User } from "@/types/api";
import type { PendingMessage } from "../lib/chat-state";
import { useIdleStatus } from "../hooks/use-idle-status";
import { usePip } from "../hooks/use-pip";
import { useRoomAttention } from "../hooks/use-room-attention";
import { useRoomHistory } from "../hooks/use-room-history";
import { useRoomSession } from "../hooks/use-room-session";
import { ChatInput, type ChatInputHandle } from "./chat-input";
import { MemberDialog } from "./member-dialog";
import { NewMessageAnnouncer } from "./new-message-announcer";
import { MessageList, type MessageListHandle } from "./message-list";
import type { Row } from "./message-item";
import { PresenceContext, RoomContext, SnapContext, StatusContext, type RoomActions, type RoomCtx } from "./room-context";
import { RoomHeader } from "./room-header";
import { SearchDialog } from "./search-dialog";
import { TypingRow } from "./typing-row";

function Blocked({ icon, title, text, children }: { icon: React.ReactNode; title: string; text: string; children?: React.ReactNode }) {
  return (
    <div className="flex h-full flex-col">
      <header className="flex h-14 items-center px-4">
        <SidebarTrigger />
      </header>
      <div className="grid flex-1 place-items-center p-6 text-center" data-testid="room-blocked">
        <div className="grid max-w-sm justify-items-center gap-3">
          <span className="grid size-12 place-items-center rounded-full bg-muted text-muted-foreground">{icon}</span>
          <h1 className="text-lg font-semibold">{title}</h1>
          <p className="text-sm text-muted-foreground">{text}</p>
          {children ?? (
            <Button asChild variant="outline">
              <Link to="/">Back to public rooms</Link>
            </Button>
          )}
        </div>
      </div>
    </div>
  );
}

function RoomSkeleton() {
  return (
    <div className="flex h-full flex-col" aria-busy="true">
      <header className="flex h-14 items-center gap-2 border-b px-4">
        <SidebarTrigger />
        <Skeleton className="h-5 w-40" />
      </header>
      <div className="mx-auto grid w-full max-w-3xl flex-1 content-end gap-3 p-6">
        {[60, 40, 72, 50].map((w, i) => (
          <div key={i} className={cn("flex gap-2", i % 2 === 1 && "justify-end")}>
            {i % 2 === 0 && <Skeleton className="size-8 rounded-full" />}
            <Skeleton className="h-10 rounded-2xl" style={{ width: `${w}%` }} />
          </div>
        ))}
      </div>
    </div>
  );
}

/** /rooms/:id — checks access over HTTP first (private rooms refuse non-members), then connects. */
export function RoomView({ roomId, me }: { roomId: string; me: User }) {
  const room = useRoom(roomId);
  if (room.isPending) return <RoomSkeleton />;
  if (room.isError) {
    if (isApiError(room.error) && room.error.status === 403)
      return <Blocked icon={<Lock className="size-5" />} title="This room is private" text="Only members can open it. Ask the owner for an invite link." />;
    if (isApiError(room.error) && room.error.status === 404)
      return <Blocked icon={<SearchX className="size-5" />} title="Room not found" text="It may have been deleted, or the link is wrong." />;
    return (
      <Blocked icon={<SearchX className="size-5" />} title="Could not open the room" text={errorMessage(room.error)}>
        <Button variant="outline" onClick={() => void room.refetch()}>
          Try again
        </Button>
      </Blocked>
    );
  }
  return <ConnectedRoom key={roomId} room={room.data} me={me} />;
}

const nextFrame = () => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())));

function ConnectedRoom({ room, me }: { room: Room; me: User }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const { session, snap } = useRoomSession(room.id, me.id);
  // A call in progress badges the favicon (the call UI itself comes with its own issue).
  useRoomAttention(session, room.name, snap.call.participants.length > 0);
  const history = useRoomHistory(session, snap);
  const { loadUntil } = history;
  useIdleStatus(session);
  const pip = usePip();
  const now = useNow(60_000);
  const [replyTo, setReplyTo] = useState<Message | null>(null);
  const [editing, setEditing] = useState<Message | null>(null);
  const [stickSignal, setStickSignal] = useState(0);
  const [membersOpen, setMembersOpen] = useState(false);
  const [searchOpen, setSearchOpen] = useState(false);
  const listRef = useRef<MessageListHandle | null>(null);
  const inputRef = useRef<ChatInputHandle | null>(null);
  // Files dragged over the room: a drop attaches the images (dragenter/leave fire per child).
  const dragDepth = useRef(0);
  const [dragging, setDragging] = useState(false);

  // The room went away for good.
  const ended = snap.ended;
  useEffect(() => {
    if (!ended) return;
    if (ended.code === 4401) {
      qc.setQueryData(["session"], null);
      void navigate(`/login?redirect=${encodeURIComponent(`/rooms/${room.id}`)}`, { replace: true });
    } else if (ended.code === 4404) {
      toast.info(`The room "${room.name}" was deleted.`);
      qc.removeQueries({ queryKey: roomKeys.detail(room.id) });
      void qc.invalidateQueries({ queryKey: ["rooms", "list"] });
      void navigate("/", { replace: true });
    } else if (ended.code === 4403) {
      void qc.invalidateQueries({ queryKey: ["rooms", "list"] });
    }
  }, [ended, qc, navigate, room.id, room.name]);

  const authorIds = new Set<string>();
  for (const m of snap.chat.messages) if (m.author.userId) authorIds.add(m.author.userId);
  for (const id of snap.presence.keys()) authorIds.add(id);
  const users = useUsersById([...authorIds]);
  const namesKey = [...users.values()].map((u) => u.displayName).join("\u0000");
  const names = useMemo(() => (namesKey ? namesKey.split("\u0000") : []), [namesKey]);

  // One Row object per message object: unchanged messages keep their row, so their bubbles
  // (memoized) do not re-render when another message arrives. The cache lives as long as the
  // room view (a WeakMap: rows of dropped messages go with them).
  const [rowCache] = useState(() => new WeakMap<object, Row>());
  const messages = snap.chat.messages;
  const pending = snap.chat.pending;
  const rows = useMemo(() => {
    const rowOf = (m: Message): Row => {
      let r = rowCache.get(m);
      if (!r) {
        r = { key: m.clientId ? `c:${m.clientId}` : `s:${m.seq}`, createdAt: m.createdAt, authorKind: m.author.kind, authorId: m.author.userId, message: m };
        rowCache.set(m, r);
      }
      return r;
    };
    const pendingRow = (p: PendingMessage): Row => {
      let r = rowCache.get(p);
      if (!r) {
        r = { key: `c:${p.clientId}`, createdAt: p.createdAt, authorKind: "user", authorId: me.id, pending: p };
        rowCache.set(p, r);
      }
      return r;
    };
    return [...messages.map(rowOf), ...pending.map(pendingRow)];
  }, [rowCache, messages, pending, me.id]);

  // The bubbles are memoized and read these from the room context: they depend only on values
  // that live as long as the room (the session, the query client, refs and state setters) and
  // on the history loader, so they keep their identity while messages come and go.
  const actions = useMemo<RoomActions>(() => {
    const jumpTo = async (seq: number) => {
      if (listRef.current?.scrollToSeq(seq)) return;
      const found = await loadUntil(seq);
      // the loaded page renders within a frame or two
      for (let i = 0; found && i < 30; i++) {
        await nextFrame();
        if (listRef.current?.scrollToSeq(seq)) return;
      }
      toast.info("The original message is no longer available.");
    };
    return {
      reply: (m) => {
        setEditing(null);
        setReplyTo(m);
      },
      edit: (m) => {
        setReplyTo(null);
        setEditing(m);
      },
      remove: (m) =>
        void confirm({
          title: "Delete message?",
          description: "It will be removed for everyone in the room.",
          confirmText: "Delete",
          destructive: true,
          restoreFocus: () => listRef.current?.rowOf(m.seq) ?? null,
        }).then((ok) => {
          if (ok && !session.remove(m.seq)) toast.error("You are offline. Try again when connected.");
        }),
      mention: (userId) => {
        if (userId === me.id) return;
        inputRef.current?.insertMention(displayNameOf(qc.getQueryData<User | null>(userKey(userId)), userId));
      },
      jumpTo: (seq) => void jumpTo(seq),
    };
  }, [session, me.id, qc, loadUntil]);
  const ctx = useMemo<RoomCtx>(() => ({ session, me, room, names, actions }), [session, me, room, names, actions]);

  if (ended?.code === 4403)
    return <Blocked icon={<UserX className="size-5" />} title="You were removed from this room" text="The owner removed you. You can no longer read or send messages here." />;

  const editLast = () => {
    for (let i = snap.chat.messages.length - 1; i >= 0; i--) {
      const m = snap.chat.messages[i];
      if (m.author.userId === me.id && !m.deleted && m.kind === "text") return actions.edit(m);
    }
  };

  const hasFiles = (e: React.DragEvent) => e.dataTransfer.types.includes("Files");
  const dropHandlers = {
    onDragEnter: (e: React.DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      dragDepth.current++;
      setDragging(true);
    },
    onDragOver: (e: React.DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "copy";
    },
    onDragLeave: (e: React.DragEvent) => {
      if (!hasFiles(e)) return;
      dragDepth.current = Math.max(0, dragDepth.current - 1);
      if (dragDepth.current === 0) setDragging(false);
    },
    onDrop: (e: React.DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      dragDepth.current = 0;
      setDragging(false);
      inputRef.current?.addFiles([...e.dataTransfer.files]);
    },
  };

  const body = (
    <div className="relative flex h-full min-h-0 flex-col bg-background" data-testid="room-view" {...dropHandlers}>
      {dragging && (
        <div className="pointer-events-none absolute inset-2 z-40 grid place-items-center rounded-xl border-2 border-dashed border-primary bg-background/85" data-testid="drop-overlay">
          <p className="text-sm font-medium">Drop images to attach them</p>
        </div>
      )}
      <RoomHeader onMembers={() => setMembersOpen(true)} onSearch={() => setSearchOpen(true)} onPip={pip.supported ? () => void pip.open() : undefined} inPip={!!pip.pipWindow} />
      {snap.chat.loaded ? (
        <MessageList
          rows={rows}
          hasMore={snap.chat.hasMore}
          loadingOlder={history.loading}
          historyError={history.error}
          onLoadOlder={() => void history.loadOlder()}
          stickSignal={stickSignal}
          ref={listRef}
          now={now}
        />
      ) : (
        <div className="mx-auto grid w-full max-w-3xl flex-1 content-end gap-3 p-6">
          {[55, 35, 65].map((w, i) => (
            <div key={i} className={cn("flex gap-2", i === 1 && "justify-end")}>
              {i !== 1 && <Skeleton className="size-8 rounded-full" />}
              <Skeleton className="h-10 rounded-2xl" style={{ width: `${w}%` }} />
            </div>
          ))}
        </div>
      )}
      <NewMessageAnnouncer session={session} />
      <TypingRow userIds={snap.typing} />
      <ChatInput
        replyTo={replyTo}
        editing={editing}
        onCancelReply={() => setReplyTo(null)}
        onCancelEdit={() => setEditing(null)}
        onSent={() => setStickSignal((n) => n + 1)}
        onEditLast={editLast}
        ref={inputRef}
      />
      <MemberDialog open={membersOpen} onOpenChange={setMembersOpen} />
      <SearchDialog open={searchOpen} onOpenChange={setSearchOpen} />
    </div>
  );

  return (
    <RoomContext value={ctx}>
      <SnapContext value={snap}>
      <PresenceContext value={snap.presence}>
      <StatusContext value={snap.status}>
      {pip.pipWindow && pip.container ? (
        <>
          {createPortal(<PortalContainerContext value={pip.container}>{body}</PortalContainerContext>, pip.container)}
          <div className="flex h-full flex-col">
            <header className="flex h-14 items-center px-4">
              <SidebarTrigger />
            </header>
            <div className="grid flex-1 place-items-center p-6 text-center">
              <div className="grid justify-items-center gap-3">
                <PictureInPicture2 className="size-8 text-muted-foreground" />
                <p className="font-medium">{room.name} is open in a pop-out window</p>
                <Button variant="outline" onClick={pip.close}>
                  Bring it back here
                </Button>
              </div>
            </div>
          </div>
        </>
      ) : (
        body
      )}
      </StatusContext>
      </PresenceContext>
      </SnapContext>
    </RoomContext>
  );
}
