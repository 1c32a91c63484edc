import { displayNameOf, useUsersById } from "@/features/users/api/users";
import { UserAvatar } from "@/features/users/components/user-avatar";

/** Always 32 px tall, so typing never shifts the layout. */
export function TypingRow({ userIds }: { userIds: string[] }) {
  const users = useUsersById(userIds.slice(0, 5));
  const shown = userIds.slice(0, 5);
  const extra = userIds.length - shown.length;
  const names = shown.map((id) => displayNameOf(users.get(id), id));
  const label =
    userIds.length === 0
      ? ""
      : userIds.length === 1
        ? `${names[0]} is typing`
        : userIds.length === 2
          ? `${names[0]} and ${names[1]} are typing`
          : `${userIds.length} people are typing`;
  return (
    <div className="mx-auto flex h-8 w-full max-w-3xl shrink-0 items-center gap-2 px-4 md:px-7" aria-live="polite" data-testid="typing-row">
      {userIds.length > 0 && (
        <>
          <div className="flex -space-x-1.5">
            {shown.map((id) => (
              <UserAvatar key={id} user={users.get(id)} userId={id} className="size-5 rounded-full text-[9px] ring-2 ring-background" />
            ))}
            {extra > 0 && <span className="grid size-5 place-items-center rounded-full bg-muted text-[9px] ring-2 ring-background">+{extra}</span>}
          </div>
          <span className="flex items-center gap-0.5" aria-hidden>
            {[0, 1, 2].map((i) => (
              <span key={i} className="typing-dot size-1.5 rounded-full bg-muted-foreground" style={{ animationDelay: `${i * 0.15}s` }} />
            ))}
          </span>
          <span className="truncate text-xs text-muted-foreground" data-testid="typing-label">
            {label}
          </span>
        </>
      )}
    </div>
  );
}
