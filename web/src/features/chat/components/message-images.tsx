import { Copy, ExternalLink, Loader2, Reply, Sticker, TriangleAlert } from "lucide-react";
import { useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { saveSticker } from "@/features/stickers/api/stickers";
import { copyImage } from "@/features/uploads/api/copy-image";
import { blobUrl } from "@/features/uploads/api/uploads";
import { cn } from "@/lib/utils";
import type { Message } from "@/types/api";
import type { PendingMessage } from "../lib/chat-state";
import { ImageView, ImageViewer, type ImageSource } from "./image-viewer";
import { useRoomCtx } from "./room-context";

export type ImageTile = { source: ImageSource; key?: string; state?: "uploading" | "done" | "failed"; error?: string };

/**
 * Tiles of a fixed size whatever the image (object-fit: cover), so a message takes its final
 * height before its images load and the list never jumps: one image 192 px square (240 from
 * the sm breakpoint), several 96 px (112) in two or three columns.
 */
export function tileLayout(n: number): { tile: string; px: number; grid: string } {
  if (n <= 1) return { tile: "size-48 sm:size-60", px: 240, grid: "" };
  return { tile: "size-24 sm:size-28", px: 112, grid: cn("grid gap-1", n === 2 || n === 4 ? "grid-cols-2" : "grid-cols-2 sm:grid-cols-3") };
}

const ordinal = (i: number, n: number) => (n > 1 ? `image ${i + 1} of ${n}` : "image");

function ImageGrid({ tiles, label, onOpen }: { tiles: ImageTile[]; label: string; onOpen: (i: number) => void }) {
  const n = tiles.length;
  const layout = tileLayout(n);
  return (
    <div role="group" aria-label={label} className={layout.grid} data-testid="message-images">
      {tiles.map((t, i) => (
        <button
          key={i}
          type="button"
          onClick={() => onOpen(i)}
          aria-label={`Open ${ordinal(i, n)}${t.state === "uploading" ? " (uploading)" : t.state === "failed" ? ` (upload failed: ${t.error ?? "unknown error"})` : ""}`}
          className={cn(
            "relative block overflow-hidden rounded-xl bg-muted outline-none focus-visible:ring-[3px] focus-visible:ring-ring/50",
            layout.tile,
          )}
          data-testid="image-tile"
          data-image-key={t.key}
          data-state={t.state}
        >
          <ImageView source={t.source} alt="" lazy width={layout.px} height={layout.px} className="size-full object-cover" />
          {t.state === "uploading" && (
            <span className="absolute inset-0 grid place-items-center bg-black/40 text-white">
              <Loader2 className="size-6 animate-spin" aria-hidden="true" />
            </span>
          )}
          {t.state === "failed" && (
            <span className="absolute inset-0 grid place-items-center bg-black/55 text-amber-400" title={t.error}>
              <TriangleAlert className="size-6" aria-hidden="true" />
            </span>
          )}
        </button>
      ))}
    </div>
  );
}

/** A sent image message: tiles, each opening the viewer with Reply, Copy image, Save to stickers. */
export function StoredImages({ message, authorName }: { message: Message; authorName: string }) {
  const { actions } = useRoomCtx();
  const keys = message.images ?? [];
  const [open, setOpen] = useState(false);
  const [shown, setShown] = useState(0); // kept while the dialog fades out
  const replying = useRef(false);
  const key = keys[shown] ?? keys[0];
  const n = keys.length;
  return (
    <>
      <ImageGrid
        tiles={keys.map((k) => ({ source: { src: blobUrl(k) }, key: k }))}
        label={n > 1 ? `${n} images` : "Image"}
        onOpen={(i) => {
          setShown(i);
          setOpen(true);
        }}
      />
      <ImageViewer
        open={open}
        onOpenChange={setOpen}
        source={key ? { src: blobUrl(key) } : null}
        title={`${n > 1 ? `Image ${shown + 1} of ${n}` : "Image"} from ${authorName}`}
        onCloseAutoFocus={(e) => {
          // Reply puts the focus in the message box: do not take it back to the tile.
          if (replying.current) e.preventDefault();
          replying.current = false;
        }}
        actions={
          key && (
            <>
              <Button
                variant="secondary"
                size="sm"
                onClick={() => {
                  replying.current = true;
                  setOpen(false);
                  actions.reply(message);
                }}
              >
                <Reply />
                Reply
              </Button>
              <Button variant="secondary" size="sm" onClick={() => void copyImage(key)}>
                <Copy />
                Copy image
              </Button>
              <Button variant="secondary" size="sm" onClick={() => void saveSticker(key)}>
                <Sticker />
                Save to stickers
              </Button>
              <Button asChild variant="ghost" size="sm">
                <a href={blobUrl(key)} target="_blank" rel="noopener noreferrer">
                  <ExternalLink />
                  Open original
                </a>
              </Button>
            </>
          )
        }
      />
    </>
  );
}

/** An image message on its way: the local files (or a sticker's key) with their upload states. */
export function PendingImages({ pending }: { pending: PendingMessage }) {
  const [open, setOpen] = useState(false);
  const [shown, setShown] = useState(0);
  const tiles: ImageTile[] = pending.local
    ? pending.local.map((l) => ({ source: l.file ? { blob: l.file } : { src: blobUrl(l.key ?? "") }, state: l.state, error: l.error }))
    : (pending.images ?? []).map((k) => ({ source: { src: blobUrl(k) } }));
  const n = tiles.length;
  return (
    <>
      <ImageGrid
        tiles={tiles}
        label={n > 1 ? `${n} images` : "Image"}
        onOpen={(i) => {
          setShown(i);
          setOpen(true);
        }}
      />
      <ImageViewer open={open} onOpenChange={setOpen} source={tiles[shown]?.source ?? null} title={n > 1 ? `Image ${shown + 1} of ${n}` : "Image"} />
    </>
  );
}
