import { Bot } from "lucide-react";
import { Avatar, AvatarFallback, AvatarImage } from "@/components/ui/avatar";
import { cn, initials } from "@/lib/utils";
import type { User } from "@/types/api";

/** What a presence dot shows: green active, yellow idle, gray locked. */
export type PresenceDot = "active" | "idle" | "locked";

const DOT: Record<PresenceDot, string> = {
  active: "bg-emerald-500",
  idle: "bg-amber-400",
  locked: "bg-zinc-400",
};
export const DOT_LABEL: Record<PresenceDot, string> = { active: "Active", idle: "Idle", locked: "Screen locked" };

export function UserAvatar({
  user,
  userId,
  presence,
  bot,
  className,
}: {
  user?: User | null;
  userId?: string;
  presence?: PresenceDot;
  bot?: boolean;
  className?: string;
}) {
  const name = user?.displayName ?? userId ?? "";
  return (
    <span className={cn("relative inline-flex size-8 shrink-0", className)} data-presence={presence}>
      <Avatar className="size-full">
        {user?.avatarUrl && <AvatarImage src={user.avatarUrl} alt="" />}
        <AvatarFallback className={cn(!bot && hueClass(userId ?? name))}>{bot ? <Bot className="size-4" /> : initials(name)}</AvatarFallback>
      </Avatar>
      {presence && (
        <span
          className={cn("absolute -right-0.5 -bottom-0.5 size-3 rounded-full border-2 border-background", DOT[presence])}
          title={DOT_LABEL[presence]}
          role="img"
          aria-label={DOT_LABEL[presence]}
          data-testid="presence-dot"
        />
      )}
    </span>
  );
}

const HUES = [
  "bg-rose-500/25 text-rose-200",
  "bg-orange-500/25 text-orange-200",
  "bg-amber-500/25 text-amber-200",
  "bg-emerald-500/25 text-emerald-200",
  "bg-teal-500/25 text-teal-200",
  "bg-sky-500/25 text-sky-200",
  "bg-indigo-500/25 text-indigo-200",
  "bg-fuchsia-500/25 text-fuchsia-200",
];

/** A stable colour per user, so people are easy to tell apart without avatars. */
function hueClass(seed: string): string {
  let h = 0;
  for (let i = 0; i < seed.length; i++) h = (h * 31 + seed.charCodeAt(i)) | 0;
  const base = HUES[Math.abs(h) % HUES.length];
  // light theme: darker text
  return `${base} [html:not(.dark)_&]:text-foreground`;
}
