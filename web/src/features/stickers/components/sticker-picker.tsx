import { SmilePlus, Trash2, X } from "lucide-react";
import { useEffect, useId, useRef, useState } from "react";
import { confirm } from "@/components/confirm-dialog";
import { Button } from "@/components/ui/button";
import { ContextMenu, ContextMenuContent, ContextMenuItem, ContextMenuTrigger } from "@/components/ui/context-menu";
import { Popover, PopoverContent, PopoverTrigger } from "@/components/ui/popover";
import { Sheet, SheetContent, SheetTitle, SheetTrigger } from "@/components/ui/sheet";
import { Skeleton } from "@/components/ui/skeleton";
import { Spinner } from "@/components/ui/spinner";
import { blobUrl } from "@/features/uploads/api/uploads";
import { useIsMobile } from "@/hooks/use-media-query";
import { errorMessage } from "@/lib/api-client";
import { removeSticker, useStickers, type Sticker } from "../api/stickers";

function askRemove(s: Sticker) {
  void confirm({
    title: "Remove this sticker?",
    description: "It leaves your sticker library. Messages that used it keep it.",
    confirmText: "Remove",
    destructive: true,
    action: () => removeSticker(s.id),
  });
}

function StickerTile({ sticker, n, onPick }: { sticker: Sticker; n: number; onPick: (key: string) => void }) {
  return (
    <ContextMenu>
      <ContextMenuTrigger asChild>
        <li className="group/sticker relative aspect-square" data-testid="sticker" data-sticker-key={sticker.key}>
          <button
            type="button"
            className="grid size-full place-items-center rounded-md p-1 outline-none hover:bg-accent focus-visible:ring-[3px] focus-visible:ring-ring/50"
            onClick={() => onPick(sticker.key)}
            aria-label={`Send sticker ${n}`}
          >
            <img src={blobUrl(sticker.key)} alt="" loading="lazy" width={64} height={64} className="size-full object-contain" />
          </button>
          {/* Remove: right-click or long press, or this button (hover or keyboard focus; always on touch screens). */}
          <button
            type="button"
            className="absolute -top-1 -right-1 hidden size-5 place-items-center rounded-full border bg-background text-muted-foreground shadow-sm group-focus-within/sticker:grid group-hover/sticker:grid hover:text-destructive focus-visible:ring-2 focus-visible:ring-ring [@media(hover:none)]:grid"
            onClick={() => askRemove(sticker)}
            aria-label={`Remove sticker ${n}`}
            data-testid="remove-sticker"
          >
            <X className="size-3" />
          </button>
        </li>
      </ContextMenuTrigger>
      <ContextMenuContent className="w-40">
        <ContextMenuItem variant="destructive" onSelect={() => askRemove(sticker)}>
          <Trash2 />
          Remove
        </ContextMenuItem>
      </ContextMenuContent>
    </ContextMenu>
  );
}

const GRID = "grid grid-cols-4 gap-1 sm:grid-cols-5";

/** The library as an endless grid: the next page loads when the bottom comes into view. */
function StickerGrid({ onPick }: { onPick: (key: string) => void }) {
  const q = useStickers();
  const scrollRef = useRef<HTMLDivElement>(null);
  const sentinelRef = useRef<HTMLDivElement>(null);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = q;

  useEffect(() => {
    const root = scrollRef.current;
    const target = sentinelRef.current;
    if (!root || !target || !hasNextPage || isFetchingNextPage) return;
    const io = new IntersectionObserver(
      ([e]) => {
        if (e.isIntersecting) void fetchNextPage();
      },
      { root, rootMargin: "0px 0px 120px 0px" },
    );
    io.observe(target);
    return () => io.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  if (q.isPending) {
    return (
      <div className={GRID} aria-busy="true" data-testid="sticker-skeleton">
        <span className="sr-only">Loading your stickers</span>
        {Array.from({ length: 10 }, (_, i) => (
          <Skeleton key={i} className="aspect-square" />
        ))}
      </div>
    );
  }
  if (q.isError) {
    return (
      <div className="grid justify-items-center gap-2 py-6 text-center text-sm text-muted-foreground">
        <p>{errorMessage(q.error, "Could not load your stickers.")}</p>
        <Button size="sm" variant="outline" onClick={() => void q.refetch()}>
          Try again
        </Button>
      </div>
    );
  }
  const items = q.data.pages.flatMap((p) => p.items);
  if (items.length === 0) {
    return (
      <div className="grid justify-items-center gap-1 px-4 py-8 text-center" data-testid="stickers-empty">
        <p className="text-sm font-medium">No stickers yet</p>
        <p className="text-xs text-muted-foreground">Right-click or long-press an image in a chat and choose “Save to stickers”.</p>
      </div>
    );
  }
  return (
    <div ref={scrollRef} className="max-h-72 overflow-y-auto overscroll-contain p-1">
      <ul className={GRID} aria-label="Your stickers" data-testid="sticker-list">
        {items.map((s, i) => (
          <StickerTile key={s.id} sticker={s} n={i + 1} onPick={onPick} />
        ))}
      </ul>
      {hasNextPage && (
        <div ref={sentinelRef} className="flex h-10 items-center justify-center text-muted-foreground">
          <Spinner label="Loading more stickers" />
        </div>
      )}
    </div>
  );
}

/**
 * The composer's sticker button: a popover above it on wide screens, a bottom sheet titled
 * "Stickers" under 768 px. Picking a sticker sends it and closes the picker.
 */
export function StickerPicker({ onPick, disabled }: { onPick: (key: string) => void; disabled?: boolean }) {
  const mobile = useIsMobile();
  const [open, setOpen] = useState(false);
  const titleId = useId();
  const pick = (key: string) => {
    setOpen(false);
    onPick(key);
  };
  const trigger = (
    <Button type="button" variant="ghost" size="icon" className="size-9 shrink-0 rounded-lg text-muted-foreground" aria-label="Stickers" title="Stickers" disabled={disabled} data-testid="sticker-button">
      <SmilePlus className="size-5" />
    </Button>
  );
  if (mobile) {
    return (
      <Sheet open={open} onOpenChange={setOpen}>
        <SheetTrigger asChild>{trigger}</SheetTrigger>
        <SheetContent side="bottom" className="bg-popover px-3 pt-4 pb-6" aria-describedby={undefined} data-testid="sticker-picker">
          <SheetTitle className="px-1">Stickers</SheetTitle>
          <StickerGrid onPick={pick} />
        </SheetContent>
      </Sheet>
    );
  }
  return (
    <Popover open={open} onOpenChange={setOpen}>
      <PopoverTrigger asChild>{trigger}</PopoverTrigger>
      <PopoverContent
        side="top"
        align="start"
        className="w-80 p-2"
        aria-labelledby={titleId}
        // Stay open while the removal is confirmed in a dialog above it.
        onFocusOutside={(e) => e.preventDefault()}
        data-testid="sticker-picker"
      >
        <h2 id={titleId} className="px-1 pb-1.5 text-sm font-medium">
          Stickers
        </h2>
        <StickerGrid onPick={pick} />
      </PopoverContent>
    </Popover>
  );
}
