import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  acceptImages,
  MAX_IMAGE_BYTES,
  prepareImage,
  sniffImageType,
  uploadImages,
  type UploadDeps,
  type UploadSpec,
  type UploadTarget,
} from "./image-upload";

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const GIF = [...new TextEncoder().encode("GIF89a")];
const WEBP = [...new TextEncoder().encode("RIFF"), 0, 0, 0, 0, ...new TextEncoder().encode("WEBPVP8 ")];
const JPEG = [0xff, 0xd8, 0xff, 0xe0];

const file = (head: number[], body = "pixels", type = "") => new Blob([new Uint8Array(head), body], { type });
const hexOf = async (b: Blob) => createHash("sha256").update(new Uint8Array(await b.arrayBuffer())).digest("hex");

type Put = { url: string; init: RequestInit };

/** Deps with an encoder that makes a fake WebP, node's SHA-256, and a server the test scripts. */
function fakeDeps(opts: { stored?: Set<string>; putStatus?: (url: string) => number; presignFails?: Error; encodeFails?: boolean } = {}) {
  const presigned: UploadSpec[][] = [];
  const puts: Put[] = [];
  const encoded: Blob[] = [];
  const deps: UploadDeps = {
    encode: async (f) => {
      if (opts.encodeFails) throw new Error("decode failed");
      encoded.push(f);
      return new Blob([new Uint8Array(WEBP), "converted:", await f.text()], { type: "image/webp" });
    },
    sha256: (bytes) => crypto.subtle.digest("SHA-256", bytes),
    presign: (files) => {
      presigned.push(files);
      if (opts.presignFails) return Promise.reject(opts.presignFails);
      return Promise.resolve(files.map<UploadTarget>((f) => ({
        key: f.sha256,
        url: opts.stored?.has(f.sha256) ? null : `/blobs/${f.sha256}?X-Amz-Signature=sig`,
        method: "PUT",
        headers: { "Content-Type": f.contentType, "x-amz-checksum-sha256": "b64" },
      })));
    },
    fetch: (url, init) => {
      puts.push({ url, init });
      const status = opts.putStatus?.(url) ?? 201;
      return Promise.resolve({ ok: status >= 200 && status < 300, status, json: () => Promise.resolve(status === 400 ? { error: { code: "hash_mismatch" } } : {}) });
    },
  };
  return { deps, presigned, puts, encoded };
}

describe("sniffImageType", () => {
  it("reads the magic bytes, not the name", () => {
    expect(sniffImageType(new Uint8Array(PNG))).toBe("image/png");
    expect(sniffImageType(new Uint8Array(GIF))).toBe("image/gif");
    expect(sniffImageType(new Uint8Array(WEBP))).toBe("image/webp");
    expect(sniffImageType(new Uint8Array(JPEG))).toBe("image/jpeg");
    expect(sniffImageType(new TextEncoder().encode("<svg xmlns="))).toBeNull();
    expect(sniffImageType(new TextEncoder().encode("RIFF\0\0\0\0WAVE"))).toBeNull();
  });
});

describe("prepareImage", () => {
  it("keeps PNG, GIF and WebP byte for byte and hashes them (lowercase hex)", async () => {
    const { deps, encoded } = fakeDeps();
    for (const head of [PNG, GIF, WEBP]) {
      const f = file(head, "anim", "image/whatever");
      const p = await prepareImage(f, deps);
      expect(p.converted).toBe(false);
      expect(p.sha256).toBe(await hexOf(f));
      expect(p.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(p.size).toBe(f.size);
      expect(p.blob.type).toBe(p.contentType); // what the server checks, whatever the name said
    }
    expect(encoded).toHaveLength(0);
  });

  it("converts JPEG and anything else to WebP and hashes the converted bytes", async () => {
    const { deps, encoded } = fakeDeps();
    const jpeg = file(JPEG, "photo", "image/jpeg");
    const p = await prepareImage(jpeg, deps);
    expect(encoded).toEqual([jpeg]);
    expect(p).toMatchObject({ converted: true, contentType: "image/webp" });
    expect(p.sha256).toBe(await hexOf(p.blob));
    expect(p.sha256).not.toBe(await hexOf(jpeg));
    const bmp = file([0x42, 0x4d], "bitmap", "image/bmp");
    expect((await prepareImage(bmp, deps)).contentType).toBe("image/webp");
  });

  it("accepts the PNG a browser without a WebP encoder hands back", async () => {
    const deps = { ...fakeDeps().deps, encode: () => Promise.resolve(new Blob([new Uint8Array(PNG), "fallback"], { type: "image/png" })) };
    expect((await prepareImage(file(JPEG), deps)).contentType).toBe("image/png");
  });

  it("says so when the browser cannot read the image or it is too large", async () => {
    await expect(prepareImage(file(JPEG), fakeDeps({ encodeFails: true }).deps)).rejects.toThrow("cannot read");
    const huge = new Blob([new Uint8Array(PNG), new Uint8Array(MAX_IMAGE_BYTES)]);
    await expect(prepareImage(huge, fakeDeps().deps)).rejects.toThrow("larger than 10 MB");
  });
});

describe("uploadImages", () => {
  it("presigns all files in one request and PUTs the new ones with exactly the given headers", async () => {
    const { deps, presigned, puts } = fakeDeps();
    const a = file(PNG, "a");
    const b = file(JPEG, "b");
    const seen: number[] = [];
    const r = await uploadImages([a, b], deps, (i) => seen.push(i));
    expect(presigned).toHaveLength(1);
    expect(presigned[0].map((s) => s.contentType)).toEqual(["image/png", "image/webp"]);
    expect(puts).toHaveLength(2);
    expect(puts[0].init).toMatchObject({ method: "PUT", credentials: "same-origin", headers: { "Content-Type": "image/png", "x-amz-checksum-sha256": "b64" } });
    expect(puts[1].init.body).toBeInstanceOf(Blob);
    expect(await hexOf(puts[1].init.body as Blob)).toBe(presigned[0][1].sha256);
    expect(r).toEqual([
      { ok: true, key: await hexOf(a), contentType: "image/png", converted: false },
      { ok: true, key: presigned[0][1].sha256, contentType: "image/webp", converted: true },
    ]);
    expect(seen.sort()).toEqual([0, 1]);
  });

  it("uploads nothing the server already has", async () => {
    const a = file(PNG, "a");
    const { deps, puts } = fakeDeps({ stored: new Set([await hexOf(a)]) });
    const r = await uploadImages([a], deps);
    expect(puts).toHaveLength(0);
    expect(r[0]).toMatchObject({ ok: true, key: await hexOf(a) });
  });

  it("sends the same bytes once when a file is attached twice", async () => {
    const { deps, presigned, puts } = fakeDeps();
    const a = file(GIF, "same");
    const r = await uploadImages([a, file(GIF, "same")], deps);
    expect(presigned[0]).toHaveLength(1);
    expect(puts).toHaveLength(1);
    expect(r[0]).toEqual(r[1]);
  });

  it("fails files one by one: the others still go up", async () => {
    const good = file(PNG, "good");
    const refused = file(PNG, "refused");
    const refusedKey = await hexOf(refused);
    const { deps } = fakeDeps({ putStatus: (url) => (url.includes(refusedKey) ? 413 : 201) });
    const r = await uploadImages([good, refused, file(JPEG, "x")], { ...deps, encode: async (f) => (f.size > 0 ? Promise.reject(new Error("no")) : f) });
    expect(r[0].ok).toBe(true);
    expect(r[1]).toEqual({ ok: false, error: "The image is too large for the server." });
    expect(r[2]).toEqual({ ok: false, error: "This browser cannot read this image." });
  });

  it("explains a hash mismatch, an expired link and a network failure", async () => {
    const a = file(PNG, "a");
    const b = file(PNG, "b");
    const [ka, kb] = [await hexOf(a), await hexOf(b)];
    const { deps } = fakeDeps({ putStatus: (url) => (url.includes(ka) ? 400 : url.includes(kb) ? 403 : 201) });
    const r = await uploadImages([a, b], deps);
    expect(r.map((x) => (x.ok ? "" : x.error))).toEqual([
      "The image changed on the way to the server (hash mismatch).",
      "The upload link expired or was refused.",
    ]);
    const offline = await uploadImages([a], { ...deps, fetch: () => Promise.reject(new TypeError("Failed to fetch")) });
    expect(offline[0]).toEqual({ ok: false, error: "Could not reach the image storage. Check your connection." });
  });

  it("fails every file with the server's words when the presign request fails", async () => {
    const { deps, puts } = fakeDeps({ presignFails: new Error("Too many requests, slow down.") });
    const r = await uploadImages([file(PNG, "a"), file(GIF, "b")], deps);
    expect(r).toEqual([
      { ok: false, error: "Too many requests, slow down." },
      { ok: false, error: "Too many requests, slow down." },
    ]);
    expect(puts).toHaveLength(0);
  });
});

describe("acceptImages", () => {
  const f = (type: string, size = 10) => ({ type, size });
  it("keeps images only, up to the room left", () => {
    const r = acceptImages([f("image/png"), f("text/plain"), f("image/jpeg"), f("image/gif")], 2);
    expect(r.accepted.map((x) => x.type)).toEqual(["image/png", "image/jpeg"]);
    expect(r).toMatchObject({ notImages: 1, overLimit: 1, tooLarge: 0 });
  });
  it("refuses a kept type over the limit, and lets a photo to convert try", () => {
    const r = acceptImages([f("image/png", MAX_IMAGE_BYTES + 1), f("image/jpeg", MAX_IMAGE_BYTES + 1)], 10);
    expect(r.accepted.map((x) => x.type)).toEqual(["image/jpeg"]);
    expect(r.tooLarge).toBe(1);
  });
});
