import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { toHex } from "./image-upload";
import { sha256 } from "./sha256";

const hex = (s: string | Uint8Array) => toHex(sha256(typeof s === "string" ? new TextEncoder().encode(s) : s));

describe("sha256 (the fallback without crypto.subtle)", () => {
  it("matches the FIPS 180-4 test vectors", () => {
    expect(hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
  });

  it("agrees with node's crypto on every length around the block and padding edges", () => {
    const data = new Uint8Array(300);
    for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) & 0xff;
    for (const n of [1, 54, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 300]) {
      const part = data.subarray(0, n);
      expect(hex(part), `length ${n}`).toBe(createHash("sha256").update(part).digest("hex"));
    }
  });

  it("hashes a megabyte like node does", () => {
    const big = new Uint8Array(1 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i ^ (i >> 8)) & 0xff;
    expect(hex(big)).toBe(createHash("sha256").update(big).digest("hex"));
  });
});
