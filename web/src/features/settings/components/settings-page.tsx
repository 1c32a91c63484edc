import { Bell, ImageUp, KeyRound, Monitor, Moon, Sun, Trash2 } from "lucide-react";
import { useRef, useState } from "react";
import { useSearchParams } from "react-router";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Spinner } from "@/components/ui/spinner";
import { Switch } from "@/components/ui/switch";
import {
  oidcErrorMessage,
  oidcLinkUrl,
  sessionKey,
  useIdentities,
  useProviders,
  useUnlinkIdentity,
  useUser,
} from "@/features/auth/api/auth";
import { uploadImagesInBrowser } from "@/features/uploads/api/uploads";
import { acceptImages } from "@/features/uploads/lib/image-upload";
import { userKey } from "@/features/users/api/users";
import { UserAvatar } from "@/features/users/components/user-avatar";
import { api, errorMessage } from "@/lib/api-client";
import { queryClient } from "@/lib/query-client";
import { cn } from "@/lib/utils";
import type { User } from "@/types/api";
import { idleDetectionSupported, requestIdlePermission } from "../lib/idle";
import { updateSettings, useSettings, type Theme } from "../lib/settings-store";

function Row({ title, text, children, htmlFor }: { title: string; text: React.ReactNode; children: React.ReactNode; htmlFor?: string }) {
  return (
    <div className="flex items-start justify-between gap-6 py-4">
      <div className="grid gap-1">
        <Label htmlFor={htmlFor} className="text-sm font-medium">
          {title}
        </Label>
        <p className="text-sm text-muted-foreground">{text}</p>
      </div>
      <div className="shrink-0 pt-0.5">{children}</div>
    </div>
  );
}

export function SettingsPage() {
  const settings = useSettings();
  const idleSupported = idleDetectionSupported();
  const [notif, setNotif] = useState(() => (typeof Notification === "undefined" ? "unsupported" : Notification.permission));

  const toggleStatus = async (on: boolean) => {
    if (!on) return updateSettings({ showStatus: false });
    const ok = await requestIdlePermission();
    if (!ok) {
      toast.warning("Idle Detection permission denied.");
      return updateSettings({ showStatus: false });
    }
    updateSettings({ showStatus: true });
  };

  return (
    <div className="mx-auto w-full max-w-2xl px-4 py-6 md:px-8">
      <h1 className="mb-1 text-2xl font-semibold tracking-tight">Settings</h1>
      <p className="mb-6 text-sm text-muted-foreground">Kept in this browser.</p>

      <section className="divide-y rounded-lg border bg-card px-4">
        <Row
          title="Show my status"
          htmlFor="show-status"
          text={
            idleSupported
              ? "When enabled, room members see whether you are active, idle (no input for 60 s) or have your screen locked."
              : "When enabled, room members see whether you are active, idle or locked. This browser has no Idle Detection API."
          }
        >
          <Switch id="show-status" checked={settings.showStatus} disabled={!idleSupported} onCheckedChange={(v) => void toggleStatus(v)} />
        </Row>
        <Row
          title="Show typing indicator"
          htmlFor="show-typing"
          text="When enabled, room members see a typing indicator while you type. Receiving others' indicator is unaffected."
        >
          <Switch id="show-typing" checked={settings.showTyping} onCheckedChange={(v) => updateSettings({ showTyping: v })} />
        </Row>
        <Row title="Notifications" text="Shown for new messages while the tab is hidden.">
          {notif === "granted" ? (
            <span className="text-sm text-emerald-500">Allowed</span>
          ) : notif === "denied" ? (
            <span className="text-sm text-muted-foreground">Blocked in the browser</span>
          ) : notif === "unsupported" ? (
            <span className="text-sm text-muted-foreground">Not supported</span>
          ) : (
            <Button size="sm" variant="outline" onClick={() => void Notification.requestPermission().then(setNotif)}>
              <Bell />
              Allow
            </Button>
          )}
        </Row>
        <div className="py-4">
          <div className="mb-3 text-sm font-medium">Theme</div>
          <div className="grid grid-cols-3 gap-2" role="radiogroup" aria-label="Theme">
            {(
              [
                ["dark", "Dark", Moon],
                ["light", "Light", Sun],
                ["system", "System", Monitor],
              ] as [Theme, string, typeof Moon][]
            ).map(([value, label, Icon]) => (
              <button
                key={value}
                role="radio"
                aria-checked={settings.theme === value}
                onClick={() => updateSettings({ theme: value })}
                className={cn(
                  "flex items-center justify-center gap-2 rounded-md border p-2 text-sm hover:bg-accent/50",
                  settings.theme === value && "border-primary bg-primary/10",
                )}
              >
                <Icon className="size-4" />
                {label}
              </button>
            ))}
          </div>
        </div>
      </section>

      <ProfileSection />
      <SignInSection />
    </div>
  );
}

function ProfileSection() {
  const user = useUser();
  const [name, setName] = useState(user?.displayName ?? "");
  const [saving, setSaving] = useState(false);
  if (!user) return null;
  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    const n = name.trim();
    if (!n || n === user.displayName) return;
    setSaving(true);
    try {
      saveUser((await api.patch<{ user: User }>("me", { displayName: n })).user);
      toast.success("Display name saved");
    } catch (err) {
      toast.error(errorMessage(err));
    } finally {
      setSaving(false);
    }
  };
  return (
    <section className="mt-6 rounded-lg border bg-card p-4">
      <h2 className="mb-3 text-sm font-medium">Profile</h2>
      <AvatarPicker user={user} />
      <form className="flex flex-col gap-2 sm:flex-row" onSubmit={(e) => void save(e)}>
        <Input aria-label="Display name" value={name} maxLength={64} onChange={(e) => setName(e.target.value)} />
        <Button type="submit" variant="secondary" disabled={saving || !name.trim() || name.trim() === user.displayName}>
          Save
        </Button>
      </form>
      <p className="mt-2 text-xs text-muted-foreground">Signed in as @{user.username}</p>
    </section>
  );
}

/**
 * The OpenID Connect providers this server offers, linked or not. Unlinking the only way to sign
 * in is refused by the server (last_sign_in_method); the button is disabled for it too.
 */
function SignInSection() {
  const [params] = useSearchParams();
  const providers = useProviders();
  const identities = useIdentities();
  const unlink = useUnlinkIdentity();
  const offered = providers.data?.oidc ?? [];
  const linked = identities.data?.items ?? [];
  if (offered.length === 0 && linked.length === 0) return null;
  const ways = linked.length + (identities.data?.hasPassword ? 1 : 0);
  const problem = oidcErrorMessage(params.get("error"));
  const rows = [...offered, ...linked.filter((l) => !offered.some((o) => o.id === l.provider)).map((l) => ({ id: l.provider, name: l.name }))];
  return (
    <section className="mt-6 rounded-lg border bg-card p-4" data-testid="sign-in-settings">
      <h2 className="mb-1 text-sm font-medium">Sign-in providers</h2>
      <p className="mb-3 text-xs text-muted-foreground">
        Signing out of roomchat does not sign you out of the provider.
      </p>
      {problem && (
        <p role="alert" className="mb-3 text-sm text-destructive">
          {problem}
        </p>
      )}
      <ul className="divide-y">
        {rows.map((p) => {
          const isLinked = linked.some((l) => l.provider === p.id);
          return (
            <li key={p.id} className="flex items-center justify-between gap-4 py-2 text-sm">
              <span className="flex items-center gap-2">
                <KeyRound className="size-4 text-muted-foreground" />
                {p.name}
                {isLinked && <span className="text-xs text-emerald-500">Linked</span>}
              </span>
              {isLinked ? (
                <Button
                  size="sm"
                  variant="ghost"
                  disabled={unlink.isPending || ways <= 1}
                  title={ways <= 1 ? "This is your only way to sign in" : undefined}
                  onClick={() =>
                    unlink.mutate(p.id, {
                      onSuccess: () => toast.success(`${p.name} unlinked`),
                      onError: (err) => toast.error(errorMessage(err)),
                    })
                  }
                >
                  Unlink
                </Button>
              ) : offered.some((o) => o.id === p.id) ? (
                <Button size="sm" variant="outline" asChild>
                  <a href={oidcLinkUrl(p.id)}>Link</a>
                </Button>
              ) : null}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** The signed-in user changed: the session and the user cache (avatars in rooms) both learn it. */
function saveUser(u: User) {
  queryClient.setQueryData(sessionKey, u);
  queryClient.setQueryData(userKey(u.id), u);
}

/** Pick an image: converted and uploaded like a message's images, then set with PATCH /api/me. */
function AvatarPicker({ user }: { user: User }) {
  const fileRef = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState<"upload" | "remove" | null>(null);

  const upload = async (files: File[]) => {
    const { accepted } = acceptImages(files, 1);
    if (accepted.length === 0) {
      if (files.length) toast.error("Choose an image (up to 10 MB).");
      return;
    }
    setBusy("upload");
    try {
      const [r] = await uploadImagesInBrowser(accepted);
      if (!r.ok) {
        toast.error(`The avatar could not be uploaded: ${r.error}`);
        return;
      }
      saveUser((await api.patch<{ user: User }>("me", { avatar: r.key })).user);
      toast.success("Avatar updated");
    } catch (err) {
      toast.error(errorMessage(err));
    } finally {
      setBusy(null);
    }
  };

  const remove = async () => {
    setBusy("remove");
    try {
      saveUser((await api.patch<{ user: User }>("me", { avatar: null })).user);
      toast.success("Avatar removed");
    } catch (err) {
      toast.error(errorMessage(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="mb-4 flex items-center gap-4" data-testid="avatar-settings">
      <UserAvatar user={user} userId={user.id} className="size-16 text-lg" />
      <div className="flex flex-wrap gap-2">
        <input
          ref={fileRef}
          type="file"
          accept="image/*"
          className="hidden"
          tabIndex={-1}
          aria-label="Choose an avatar image"
          data-testid="avatar-input"
          onChange={(e) => {
            void upload([...(e.target.files ?? [])]);
            e.target.value = "";
          }}
        />
        <Button type="button" variant="secondary" size="sm" disabled={busy !== null} onClick={() => fileRef.current?.click()} data-testid="avatar-upload">
          {busy === "upload" ? <Spinner label="Uploading the avatar" /> : <ImageUp />}
          {user.avatarUrl ? "Change avatar" : "Upload avatar"}
        </Button>
        {user.avatarUrl && (
          <Button type="button" variant="ghost" size="sm" disabled={busy !== null} onClick={() => void remove()}>
            {busy === "remove" ? <Spinner label="Removing the avatar" /> : <Trash2 />}
            Remove avatar
          </Button>
        )}
      </div>
    </div>
  );
}
