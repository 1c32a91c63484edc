import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useEffectEvent, useState } from "react";
import { displayNameOf, userKey } from "@/features/users/api/users";
import type { Message, User } from "@/types/api";
import type { RoomSession } from "../lib/room-session";

const KEEP = 5;

/**
 * The room's one live region: it reads out live messages from others as they arrive ("Bob: hi").
 * The message list itself is not live, so older pages loaded above, the catch-up after a
 * reconnect, and my own sends are not read out.
 */
export function NewMessageAnnouncer({ session }: { session: RoomSession }) {
  const qc = useQueryClient();
  const [said, setSaid] = useState<{ id: string; text: string }[]>([]);

  const onIncoming = useEffectEvent((m: Message) => {
    const id = m.author.userId;
    const who = m.author.kind === "bot" ? "Bot" : m.author.kind === "system" ? "" : displayNameOf(id ? qc.getQueryData<User | null>(userKey(id)) : null, id);
    const what = m.kind === "image" ? "sent an image" : (m.text ?? "");
    setSaid((list) => [...list.slice(-(KEEP - 1)), { id: m.id, text: who ? `${who}: ${what}` : what }]);
  });
  useEffect(() => session.listen({ onIncoming: (m) => onIncoming(m) }), [session]);

  return (
    <div className="sr-only" aria-live="polite" aria-relevant="additions" data-testid="new-message-announcer">
      {said.map((s) => (
        <p key={s.id}>{s.text}</p>
      ))}
    </div>
  );
}
