// The upload pipeline wired to the browser: POST /api/uploads through the app's one HTTP client,
// the PUTs through fetch (the presigned URL may be another origin, such as an S3 bucket), the
// canvas for WebP, and crypto.subtle for SHA-256 (the plain-TS fallback where the page is not a
// secure context and the browser hides it).
import { api } from "@/lib/api-client";
import { encodeWebP } from "../lib/canvas-encode";
import { uploadImages, type UploadDeps, type UploadResult, type UploadSpec, type UploadTarget } from "../lib/image-upload";
import { sha256 } from "../lib/sha256";

export const presignUploads = async (files: UploadSpec[]): Promise<UploadTarget[]> =>
  (await api.post<{ items: UploadTarget[] }>("uploads", { files })).items;

const digest = (bytes: ArrayBuffer): Promise<ArrayBuffer | Uint8Array> =>
  globalThis.crypto?.subtle ? globalThis.crypto.subtle.digest("SHA-256", bytes) : Promise.resolve(sha256(new Uint8Array(bytes)));

export const browserUploadDeps = (): UploadDeps => ({
  encode: encodeWebP,
  sha256: digest,
  presign: presignUploads,
  fetch: (url, init) => globalThis.fetch(url, init),
});

/** Converts, hashes and uploads; one result per file, in order. */
export const uploadImagesInBrowser = (files: Blob[], onResult?: (index: number, r: UploadResult) => void) =>
  uploadImages(files, browserUploadDeps(), onResult);

/** The URL an uploaded image is served at (same origin, with the session cookie). */
export const blobUrl = (key: string) => `/blobs/${encodeURIComponent(key)}`;
