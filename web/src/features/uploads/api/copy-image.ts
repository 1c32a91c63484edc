// "Copy image": the stored bytes (fetched with the session cookie) onto the clipboard as PNG,
// the one image type Chromium's async clipboard accepts. The ClipboardItem is made at once with
// a promise of the PNG, so the click's user activation still holds when the bytes arrive
// (Safari requires that).
import { toast } from "sonner";
import { encodePng } from "../lib/canvas-encode";
import { blobUrl } from "./uploads";

async function pngOf(key: string): Promise<Blob> {
  const res = await fetch(blobUrl(key), { credentials: "same-origin" });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const blob = await res.blob();
  return blob.type === "image/png" ? blob : encodePng(blob);
}

export async function copyImage(key: string): Promise<void> {
  if (!navigator.clipboard?.write || typeof ClipboardItem === "undefined") {
    toast.error("Copying images is not available in this browser.");
    return;
  }
  try {
    await navigator.clipboard.write([new ClipboardItem({ "image/png": pngOf(key) })]);
    toast.success("Image copied");
  } catch {
    toast.error("Could not copy the image.");
  }
}
