// Wire types of the v1 protocol (docs/protocol.md). Field names match the contract exactly.

export type User = {
  id: string;
  username: string;
  displayName: string;
  avatarUrl: string | null;
};

export type Visibility = "public" | "unlisted" | "private";
export type Role = "owner" | "member" | "guest";

export type Room = {
  id: string;
  name: string;
  visibility: Visibility;
  ownerId: string;
  createdAt: number;
  lastActiveAt: number;
  isFavorite: boolean;
  role: Role;
  /** Only on `GET /api/rooms/public`. */
  online?: number;
};

export type Page<T> = { items: T[]; nextCursor: string | null };

export type AuthProviders = { password: boolean; oidc: { id: string; name: string }[] };

/** GET /api/me/identities: the providers linked to the signed-in user. */
export type Identities = { items: { provider: string; name: string; linkedAt: number }[]; hasPassword: boolean };

export type Author = { kind: "user" | "system" | "bot"; userId?: string };

export type ReplyRef = {
  seq: number;
  authorId?: string;
  kind: "text" | "image";
  snippet: string;
};

export type Message = {
  seq: number;
  id: string;
  roomId: string;
  author: Author;
  kind: "text" | "image";
  text?: string;
  images?: string[];
  replyTo?: ReplyRef;
  createdAt: number;
  editedAt?: number;
  deleted?: true;
  clientId?: string;
};

export type UserState = "active" | "idle";
export type ScreenState = "locked" | "unlocked";

export type PresenceEntry = {
  userId: string;
  connections: number;
  user?: UserState;
  screen?: ScreenState;
};

export type CallParticipant = {
  userId: string;
  connId: string;
  sessionId?: string;
  trackName?: string;
  muted: boolean;
  joinedAt: number;
};

export type CallState = { participants: CallParticipant[] };

export type WelcomeFrame = {
  type: "welcome";
  connId: string;
  you: User;
  room: Room;
  messages: Message[];
  hasMore: boolean;
  reset?: true;
  presence: PresenceEntry[];
  call: CallState;
  lastSeq: number;
};

export type ServerFrame =
  | WelcomeFrame
  | { type: "ack"; clientId: string; message: Message }
  | { type: "message"; message: Message }
  | { type: "messageUpdated"; message: Message }
  | { type: "history"; messages: Message[]; hasMore: boolean }
  | { type: "presence"; users: PresenceEntry[] }
  | { type: "typing"; userId: string; active: boolean }
  | ({ type: "call" } & CallState)
  | { type: "callKicked"; reason: string }
  | { type: "callSignal"; from: string; payload: unknown }
  | { type: "roomUpdated"; room: Room }
  | { type: "roomDeleted" }
  | { type: "error"; code: string; message: string; clientId?: string }
  | { type: "pong" };

export type SendFrame = {
  type: "send";
  clientId: string;
  kind: "text" | "image";
  text?: string;
  images?: string[];
  replyToSeq?: number;
};

export type ClientFrame =
  | { type: "hello"; lastSeq?: number }
  | SendFrame
  | { type: "history"; beforeSeq: number; limit?: number }
  | { type: "edit"; seq: number; text: string }
  | { type: "delete"; seq: number }
  | { type: "status"; user?: UserState; screen?: ScreenState }
  | { type: "typing"; active: boolean }
  | { type: "ping" };
