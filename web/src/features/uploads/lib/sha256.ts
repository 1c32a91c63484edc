// SHA-256 for pages served over plain http on a LAN: there the browser hides crypto.subtle (it needs
// a secure context), and the storage key of an image is the hash of its bytes either way. The
// implementation is @noble/hashes (audited, dependency-free), not one of our own.
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";

/** The SHA-256 digest (32 bytes) of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}
