import { ExternalLink, FileText, Film, ImageOff } from "lucide-react";
import { useState } from "react";
import { Skeleton } from "@/components/ui/skeleton";
import { cn } from "@/lib/utils";
import { useLinkPreview } from "../api/preview";
import { linkCardModel } from "../lib/link-preview";

const linkProps = { target: "_blank", rel: "noopener noreferrer" } as const;

/** The 1.91:1 picture of a card, or a placeholder when there is none or it does not load. */
function Thumbnail({ src }: { src: string | null }) {
  const [failed, setFailed] = useState<string | null>(null);
  return (
    <div className="grid aspect-[1.91/1] w-full place-items-center overflow-hidden bg-muted text-muted-foreground">
      {src && failed !== src ? (
        <img src={src} alt="" loading="lazy" width={320} height={168} className="size-full object-cover" onError={() => setFailed(src)} />
      ) : (
        <ImageOff className="size-8" aria-hidden="true" data-testid="link-card-placeholder" />
      )}
    </div>
  );
}

function Lines({ title, domain }: { title: string; domain: string }) {
  return (
    <div className="grid gap-0.5 px-3 py-2">
      <span className="line-clamp-2 text-sm font-medium" data-testid="link-card-title">
        {title}
      </span>
      <span className="truncate text-xs text-muted-foreground">{domain}</span>
    </div>
  );
}

const cardClass = "block w-80 max-w-full overflow-hidden rounded-lg border bg-card text-card-foreground no-underline shadow-xs transition-colors hover:bg-accent/40";

/**
 * A message that is one URL, as a card from GET /api/preview: a skeleton while it loads; a page
 * or an image as a 320 px card with a 1.91:1 picture, its title (or domain) and domain; a video
 * as a player (from this origin; elsewhere a card that opens it); a PDF as a file card; anything
 * else, or an error, as `fallback` (the message's plain text with its link).
 */
export function LinkCard({ url, fallback }: { url: string; fallback: React.ReactNode }) {
  const q = useLinkPreview(url);
  if (q.isPending) {
    return (
      <div className="w-80 max-w-full overflow-hidden rounded-lg border bg-card" aria-busy="true" data-testid="link-card-skeleton">
        <span className="sr-only">Loading the preview of {url}</span>
        <Skeleton className="aspect-[1.91/1] w-full rounded-none" />
        <div className="grid gap-1.5 px-3 py-2">
          <Skeleton className="h-4 w-3/4" />
          <Skeleton className="h-3 w-1/3" />
        </div>
      </div>
    );
  }
  const card = linkCardModel(url, q.isError ? null : q.data, window.location.origin);
  switch (card.kind) {
    case "card":
      return (
        <a href={card.href} {...linkProps} className={cardClass} data-testid="link-card">
          <Thumbnail src={card.image} />
          <Lines title={card.title} domain={card.domain} />
        </a>
      );
    case "video":
      return card.src ? (
        <div className="w-80 max-w-full overflow-hidden rounded-lg border bg-card" data-testid="link-card">
          {/* Nothing to caption: a link to a video file the user shared. */}
          {/* eslint-disable-next-line jsx-a11y/media-has-caption -- a video a user linked, with no captions to offer */}
          <video controls preload="metadata" src={card.src} className="aspect-video w-full bg-black" aria-label={card.title} />
          <a href={card.href} {...linkProps} className="block hover:bg-accent/40">
            <Lines title={card.title} domain={card.domain} />
          </a>
        </div>
      ) : (
        <a href={card.href} {...linkProps} className={cn(cardClass, "flex items-center gap-3 p-3")} data-testid="link-card">
          <Film className="size-8 shrink-0 text-muted-foreground" aria-hidden="true" />
          <span className="min-w-0 flex-1">
            <span className="block truncate text-sm font-medium" data-testid="link-card-title">
              {card.title}
            </span>
            <span className="block truncate text-xs text-muted-foreground">Video · {card.domain}</span>
          </span>
          <ExternalLink className="size-4 shrink-0 text-muted-foreground" aria-hidden="true" />
        </a>
      );
    case "file":
      return (
        <a href={card.href} {...linkProps} className={cn(cardClass, "flex items-center gap-3 p-3")} data-testid="link-card">
          <FileText className="size-8 shrink-0 text-muted-foreground" aria-hidden="true" />
          <span className="min-w-0 flex-1">
            <span className="block truncate text-sm font-medium" data-testid="link-card-title">
              {card.title}
            </span>
            <span className="block truncate text-xs text-muted-foreground">PDF · {card.domain}</span>
          </span>
        </a>
      );
    default:
      return <>{fallback}</>;
  }
}
