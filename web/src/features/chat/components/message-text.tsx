import { cn } from "@/lib/utils";
import { isEmojiOnly } from "../lib/emoji";
import { segmentText } from "../lib/linkify";

/** Message text with links (new tab, no referrer) and highlighted mentions; emoji-only is large. */
export function MessageText({ text, names, myName, mine }: { text: string; names: string[]; myName?: string; mine?: boolean }) {
  if (isEmojiOnly(text)) {
    return (
      <span className="block text-5xl leading-tight" data-emoji-only="true">
        {text.trim()}
      </span>
    );
  }
  return (
    <span className="break-words whitespace-pre-wrap">
      {segmentText(text, names).map((s, i) =>
        s.type === "link" ? (
          <a
            key={i}
            href={s.href}
            target="_blank"
            rel="noopener noreferrer nofollow"
            className={cn("underline underline-offset-2 break-all", mine ? "text-white" : "text-link")}
          >
            {s.text}
          </a>
        ) : s.type === "mention" ? (
          <span
            key={i}
            data-mention={s.name}
            className={cn(
              "rounded px-0.5 font-medium",
              s.name === myName ? "bg-mention text-foreground" : mine ? "bg-white/20" : "bg-primary/20 text-link",
            )}
          >
            {s.text}
          </span>
        ) : (
          <span key={i}>{s.text}</span>
        ),
      )}
    </span>
  );
}
