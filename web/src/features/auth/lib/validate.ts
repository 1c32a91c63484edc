// Client-side checks mirroring API.md §1, so most mistakes are shown before a round trip.

export const USERNAME_RE = /^[a-z0-9_.-]{3,32}$/;

export type SignupErrors = Partial<Record<"username" | "password" | "displayName", string>>;

export function validateSignup(v: { username: string; password: string; displayName: string }): SignupErrors {
  const e: SignupErrors = {};
  if (!USERNAME_RE.test(v.username)) e.username = "3–32 characters: lowercase letters, digits, _ . -";
  if (v.password.length < 8) e.password = "At least 8 characters.";
  else if (v.password.length > 256) e.password = "At most 256 characters.";
  const name = v.displayName.trim();
  if (name.length < 1) e.displayName = "Enter a display name.";
  else if (name.length > 64) e.displayName = "At most 64 characters.";
  return e;
}
