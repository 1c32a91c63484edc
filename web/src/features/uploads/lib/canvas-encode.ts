// Re-encoding images in the browser through a canvas: to WebP for uploads (anything that is not
// PNG, GIF or WebP) and to PNG for the clipboard (Chromium's clipboard takes image/png only).
// Browser only; the pipeline that uses it (image-upload.ts) is tested with a fake encoder.

/** Decodes an image: createImageBitmap where it can (EXIF orientation applied), else an <img>. */
async function decode(blob: Blob): Promise<{ source: CanvasImageSource; width: number; height: number; close: () => void }> {
  if (typeof createImageBitmap === "function") {
    try {
      const bitmap = await createImageBitmap(blob);
      return { source: bitmap, width: bitmap.width, height: bitmap.height, close: () => bitmap.close() };
    } catch {
      /* SVG and some formats only decode through an <img> */
    }
  }
  const url = URL.createObjectURL(blob); // CSP img-src allows blob:
  try {
    const img = new Image();
    img.decoding = "async";
    img.src = url;
    await img.decode();
    return { source: img, width: img.naturalWidth, height: img.naturalHeight, close: () => {} };
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Draws the image at its natural size and encodes it. */
export async function reencode(blob: Blob, type: "image/webp" | "image/png", quality?: number): Promise<Blob> {
  const image = await decode(blob);
  try {
    if (!image.width || !image.height) throw new Error("The image has no size.");
    const canvas = document.createElement("canvas");
    canvas.width = image.width;
    canvas.height = image.height;
    const ctx = canvas.getContext("2d");
    if (!ctx) throw new Error("No 2D canvas.");
    ctx.drawImage(image.source, 0, 0);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("The canvas could not encode the image."))), type, quality),
    );
  } finally {
    image.close();
  }
}

export const encodeWebP = (blob: Blob) => reencode(blob, "image/webp", 0.9);
export const encodePng = (blob: Blob) => reencode(blob, "image/png");
