// The image upload pipeline, without the DOM. Each file is
//   1. sniffed (its first bytes, not its name): PNG, GIF and WebP stay as they are (animations,
//      APNG), anything else is re-encoded to WebP by `deps.encode` (canvas, quality 0.9);
//   2. hashed: the lowercase hex SHA-256 of the bytes is its storage key;
// then one POST /api/uploads asks the server which are stored already, and the rest are PUT to
// their presigned URLs with exactly the headers the server gave. Files fail one by one: a file
// that cannot be read or is refused does not stop the others. The browser's parts (canvas, fetch,
// crypto) come in as UploadDeps; api/uploads.ts wires them.

export const MAX_IMAGES = 10;
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

export type UploadType = "image/webp" | "image/png" | "image/gif" | "image/jpeg";

/** One file as POST /api/uploads takes it. */
export type UploadSpec = { sha256: string; size: number; contentType: UploadType };

/** The server's answer for one file: `url` null when it is stored already. */
export type UploadTarget = { key: string; url: string | null; method: string; headers: Record<string, string> };

export type UploadDeps = {
  /** Decodes an image and encodes it as WebP (canvas toBlob "image/webp", 0.9). */
  encode: (file: Blob) => Promise<Blob>;
  /** SHA-256 of the bytes (crypto.subtle, or the plain-TS fallback). */
  sha256: (bytes: ArrayBuffer) => Promise<ArrayBuffer | Uint8Array>;
  /** POST /api/uploads: one target per spec, in order. */
  presign: (files: UploadSpec[]) => Promise<UploadTarget[]>;
  /** The PUTs (not the /api client: the URL may be another origin). */
  fetch: (url: string, init: RequestInit) => Promise<Pick<Response, "ok" | "status" | "json">>;
};

/** A file ready to upload: the bytes that will be stored, and their key. */
export type PreparedImage = { blob: Blob; sha256: string; size: number; contentType: UploadType; converted: boolean };

export type UploadResult =
  | { ok: true; key: string; contentType: UploadType; converted: boolean }
  | { ok: false; error: string };

/** A failure with words for the user. */
export class ImageUploadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImageUploadError";
  }
}

const KEPT: ReadonlySet<UploadType> = new Set(["image/png", "image/gif", "image/webp"]);

/** What the first bytes say the file is (only the four types the server stores). */
export function sniffImageType(head: Uint8Array): UploadType | null {
  const at = (i: number, ...bytes: number[]) => bytes.every((b, j) => head[i + j] === b);
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  if (at(0, 0x47, 0x49, 0x46, 0x38) && (head[4] === 0x37 || head[4] === 0x39) && head[5] === 0x61) return "image/gif";
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return "image/webp";
  if (at(0, 0xff, 0xd8, 0xff)) return "image/jpeg";
  return null;
}

export const toHex = (bytes: ArrayBuffer | Uint8Array): string =>
  Array.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

const megabytes = (n: number) => `${Math.round(n / 1024 / 1024)} MB`;

/** Converts (when needed) and hashes one file. Throws ImageUploadError with words for the user. */
export async function prepareImage(file: Blob, deps: Pick<UploadDeps, "encode" | "sha256">): Promise<PreparedImage> {
  const original = new Uint8Array(await file.arrayBuffer());
  let type = sniffImageType(original.subarray(0, 16));
  let blob = file;
  let bytes = original;
  let converted = false;
  if (!type || !KEPT.has(type)) {
    let encoded: Blob;
    try {
      encoded = await deps.encode(file);
    } catch {
      throw new ImageUploadError("This browser cannot read this image.");
    }
    bytes = new Uint8Array(await encoded.arrayBuffer());
    // A browser without a WebP encoder hands back PNG (the canvas default): fine too.
    type = sniffImageType(bytes.subarray(0, 16));
    if (!type) throw new ImageUploadError("This browser could not convert this image.");
    blob = new Blob([bytes], { type });
    converted = true;
  } else if (file.type !== type) {
    blob = new Blob([bytes], { type }); // the type the server will check, not the name's
  }
  if (bytes.length === 0) throw new ImageUploadError("The image is empty.");
  if (bytes.length > MAX_IMAGE_BYTES) throw new ImageUploadError(`The image is larger than ${megabytes(MAX_IMAGE_BYTES)}.`);
  const digest = await deps.sha256(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { blob, sha256: toHex(digest), size: bytes.length, contentType: type, converted };
}

/** Words for a refused PUT. */
async function putError(res: Pick<Response, "status" | "json">): Promise<string> {
  let code = "";
  try {
    const body = (await res.json()) as { error?: { code?: string } };
    code = body?.error?.code ?? "";
  } catch {
    /* not JSON (S3 answers XML) */
  }
  if (code === "hash_mismatch") return "The image changed on the way to the server (hash mismatch).";
  switch (res.status) {
    case 403:
      return "The upload link expired or was refused.";
    case 413:
      return "The image is too large for the server.";
    case 415:
      return "The server does not accept this image type.";
    default:
      return `The upload failed (HTTP ${res.status}).`;
  }
}

const messageOf = (e: unknown, fallback: string) => (e instanceof Error && e.message ? e.message : fallback);

/**
 * Uploads the files; resolves with one result per file, in order (it does not reject). `onResult`
 * hears about each file as soon as it is settled. Identical files are presigned and sent once.
 */
export async function uploadImages(files: Blob[], deps: UploadDeps, onResult?: (index: number, r: UploadResult) => void): Promise<UploadResult[]> {
  const results: (UploadResult | undefined)[] = new Array<UploadResult | undefined>(files.length);
  const settle = (i: number, r: UploadResult) => {
    results[i] = r;
    onResult?.(i, r);
  };

  const prepared = await Promise.all(
    files.map((f, i) =>
      prepareImage(f, deps).catch((e: unknown) => {
        settle(i, { ok: false, error: messageOf(e, "This image could not be read.") });
        return null;
      }),
    ),
  );

  // One spec per distinct hash.
  const byHash = new Map<string, { image: PreparedImage; indexes: number[] }>();
  prepared.forEach((p, i) => {
    if (!p) return;
    const entry = byHash.get(p.sha256);
    if (entry) entry.indexes.push(i);
    else byHash.set(p.sha256, { image: p, indexes: [i] });
  });
  const groups = [...byHash.values()];
  if (groups.length > 0) {
    let targets: UploadTarget[] | null = null;
    try {
      targets = await deps.presign(groups.map(({ image }) => ({ sha256: image.sha256, size: image.size, contentType: image.contentType })));
      if (!Array.isArray(targets) || targets.length !== groups.length) throw new Error("The server answered the upload request oddly.");
    } catch (e) {
      const error = messageOf(e, "Could not start the upload.");
      for (const g of groups) for (const i of g.indexes) settle(i, { ok: false, error });
      targets = null;
    }
    if (targets) {
      const t = targets;
      await Promise.all(
        groups.map(async ({ image, indexes }, gi) => {
          const target = t[gi];
          let r: UploadResult;
          if (target.url === null) {
            r = { ok: true, key: target.key, contentType: image.contentType, converted: image.converted };
          } else {
            try {
              const res = await deps.fetch(target.url, {
                method: target.method || "PUT",
                headers: target.headers,
                body: image.blob,
                credentials: "same-origin",
              });
              r = res.ok
                ? { ok: true, key: target.key, contentType: image.contentType, converted: image.converted }
                : { ok: false, error: await putError(res) };
            } catch {
              r = { ok: false, error: "Could not reach the image storage. Check your connection." };
            }
          }
          for (const i of indexes) settle(i, r);
        }),
      );
    }
  }
  return results.map((r) => r ?? { ok: false, error: "The upload did not finish." });
}

/** What to keep of a pick, paste or drop: images only, at most `room` of them. */
export function acceptImages<F extends { type: string; size: number }>(
  incoming: F[],
  room: number,
): { accepted: F[]; notImages: number; tooLarge: number; overLimit: number } {
  const images = incoming.filter((f) => f.type.startsWith("image/"));
  // Files kept as they are must fit as they are; others shrink when converted, so only absurd
  // sizes are refused before trying.
  const fits = images.filter((f) => f.size <= (KEPT.has(f.type as UploadType) ? MAX_IMAGE_BYTES : 8 * MAX_IMAGE_BYTES));
  const accepted = fits.slice(0, Math.max(0, room));
  return {
    accepted,
    notImages: incoming.length - images.length,
    tooLarge: images.length - fits.length,
    overLimit: fits.length - accepted.length,
  };
}
