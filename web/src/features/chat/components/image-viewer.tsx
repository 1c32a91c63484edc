import { useCallback, useRef } from "react";
import { Dialog, DialogContent, DialogTitle } from "@/components/ui/dialog";
import { cn } from "@/lib/utils";

/**
 * An <img> of a local file (a picked image, an upload in progress). Its object URL lives exactly
 * as long as the element: made when it mounts, revoked when it goes (a ref with a cleanup, so
 * StrictMode's second mount gets a fresh one).
 */
export function BlobImage({ blob, alt, className, width, height }: { blob: Blob; alt: string; className?: string; width?: number; height?: number }) {
  const ref = useCallback(
    (img: HTMLImageElement | null) => {
      if (!img) return;
      const url = URL.createObjectURL(blob);
      img.src = url;
      return () => URL.revokeObjectURL(url);
    },
    [blob],
  );
  return <img ref={ref} alt={alt} className={className} width={width} height={height} decoding="async" />;
}

/** What a viewer or a tile shows: a stored image (its URL) or a local file. */
export type ImageSource = { src: string; blob?: undefined } | { blob: Blob; src?: undefined };

export function ImageView({ source, alt, className, width, height, lazy }: { source: ImageSource; alt: string; className?: string; width?: number; height?: number; lazy?: boolean }) {
  return source.blob ? (
    <BlobImage blob={source.blob} alt={alt} className={className} width={width} height={height} />
  ) : (
    <img src={source.src} alt={alt} className={className} width={width} height={height} loading={lazy ? "lazy" : undefined} decoding="async" />
  );
}

/**
 * The zoomed image in a dialog: Escape or the close button closes it, and the focus goes back to
 * what had it when it opened (the tile; Radix would only return it to a DialogTrigger).
 * `actions` go under the image (Reply, Copy image, Save to stickers); an `onCloseAutoFocus` that
 * prevents the default keeps the focus where an action put it.
 */
export function ImageViewer({
  open,
  onOpenChange,
  source,
  title,
  actions,
  onCloseAutoFocus,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  source: ImageSource | null;
  title: string;
  actions?: React.ReactNode;
  onCloseAutoFocus?: (e: Event) => void;
}) {
  const opener = useRef<HTMLElement | null>(null);
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent
        className={cn("w-auto max-w-[calc(100vw-2rem)] gap-3 p-3 sm:max-w-[min(92vw,72rem)]")}
        aria-describedby={undefined}
        onOpenAutoFocus={(e) => {
          // (the pop-out window has its own document, and its own HTMLElement: no instanceof)
          const doc = (e.target as HTMLElement | null)?.ownerDocument ?? document;
          opener.current = doc.activeElement as HTMLElement | null;
        }}
        onCloseAutoFocus={(e) => {
          onCloseAutoFocus?.(e);
          const keep = e.defaultPrevented;
          e.preventDefault();
          if (!keep && opener.current?.isConnected) opener.current.focus();
          opener.current = null;
        }}
        data-testid="image-viewer"
      >
        <DialogTitle className="sr-only">{title}</DialogTitle>
        {source && (
          <div className="grid min-h-24 min-w-24 place-items-center pt-8">
            <ImageView source={source} alt={title} className="max-h-[calc(100dvh-10rem)] max-w-full rounded-md object-contain" />
          </div>
        )}
        {actions && <div className="flex flex-wrap justify-center gap-2">{actions}</div>}
      </DialogContent>
    </Dialog>
  );
}
