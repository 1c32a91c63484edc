import { KeyRound, MessageSquare } from "lucide-react";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Spinner } from "@/components/ui/spinner";
import { errorMessage, isApiError } from "@/lib/api-client";
import { cn } from "@/lib/utils";
import { oidcStartUrl, useLogin, useProviders, useSignup } from "../api/auth";
import { validateSignup, type SignupErrors } from "../lib/validate";

export function AuthForm({ redirect, onDone, providerError }: { redirect: string; onDone: () => void; providerError?: string | null }) {
  const [mode, setMode] = useState<"login" | "signup">("login");
  const providers = useProviders();
  const oidc = providers.data?.oidc ?? [];
  const passwordEnabled = providers.data?.password !== false;

  return (
    <div className="w-full max-w-sm">
      <div className="mb-6 flex flex-col items-center gap-2 text-center">
        <span className="grid size-11 place-items-center rounded-xl bg-primary text-primary-foreground">
          <MessageSquare className="size-5" />
        </span>
        <h1 className="text-2xl font-semibold tracking-tight">roomchat</h1>
        <p className="text-sm text-muted-foreground">{mode === "login" ? "Log in to your account" : "Create an account"}</p>
      </div>
      <div className="rounded-xl border bg-card p-6 shadow-sm">
        {providerError && (
          <p role="alert" className="mb-4 rounded-md border border-destructive/40 p-3 text-sm text-destructive" data-testid="provider-error">
            {providerError}
          </p>
        )}
        {passwordEnabled && (
          <div className="mb-5 grid grid-cols-2 rounded-lg bg-muted p-1 text-sm" role="tablist">
            {(["login", "signup"] as const).map((m) => (
              <button
                key={m}
                role="tab"
                aria-selected={mode === m}
                onClick={() => setMode(m)}
                className={cn("rounded-md py-1.5 font-medium text-muted-foreground transition-colors", mode === m && "bg-background text-foreground shadow-sm")}
              >
                {m === "login" ? "Log in" : "Sign up"}
              </button>
            ))}
          </div>
        )}
        {passwordEnabled && (mode === "login" ? <LoginForm onDone={onDone} /> : <SignupForm onDone={onDone} />)}
        {oidc.length > 0 && (
          <>
            {passwordEnabled && (
              <div className="my-5 flex items-center gap-3 text-xs text-muted-foreground">
                <span className="h-px flex-1 bg-border" />
                or
                <span className="h-px flex-1 bg-border" />
              </div>
            )}
            <div className="grid gap-2">
              {oidc.map((p) => (
                <Button key={p.id} variant="outline" asChild>
                  <a href={oidcStartUrl(p.id, redirect)}>
                    <KeyRound />
                    Continue with {p.name}
                  </a>
                </Button>
              ))}
            </div>
          </>
        )}
      </div>
    </div>
  );
}

/** A text field's value (a FormData entry can also be a File, which these forms do not have). */
function formText(f: FormData, name: string): string {
  const v = f.get(name);
  return typeof v === "string" ? v : "";
}

function FieldError({ children }: { children?: string }) {
  return children ? <p className="text-xs text-destructive">{children}</p> : null;
}

function LoginForm({ onDone }: { onDone: () => void }) {
  const login = useLogin();
  const [error, setError] = useState<string | null>(null);
  const submit = (e: React.FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setError(null);
    login.mutate(
      { username: formText(f, "username").trim().toLowerCase(), password: formText(f, "password") },
      {
        onSuccess: onDone,
        onError: (err) => setError(isApiError(err, "bad_credentials") ? "Wrong username or password." : errorMessage(err)),
      },
    );
  };
  return (
    <form className="grid gap-4" onSubmit={submit} data-testid="login-form">
      <div className="grid gap-2">
        <Label htmlFor="login-username">Username</Label>
        <Input id="login-username" name="username" autoComplete="username" autoCapitalize="none" required />
      </div>
      <div className="grid gap-2">
        <Label htmlFor="login-password">Password</Label>
        <Input id="login-password" name="password" type="password" autoComplete="current-password" required />
      </div>
      {error && (
        <p role="alert" className="text-sm text-destructive">
          {error}
        </p>
      )}
      <Button type="submit" disabled={login.isPending}>
        {login.isPending && <Spinner />}
        Log in
      </Button>
    </form>
  );
}

function SignupForm({ onDone }: { onDone: () => void }) {
  const signup = useSignup();
  const [errors, setErrors] = useState<SignupErrors>({});
  const [error, setError] = useState<string | null>(null);
  const submit = (e: React.FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const v = {
      username: formText(f, "username").trim(),
      displayName: formText(f, "displayName").trim(),
      password: formText(f, "password"),
    };
    const errs = validateSignup(v);
    setErrors(errs);
    setError(null);
    if (Object.keys(errs).length) return;
    signup.mutate(v, {
      onSuccess: onDone,
      onError: (err) => {
        if (isApiError(err, "username_taken")) setErrors({ username: "That username is taken." });
        else if (isApiError(err) && err.code.startsWith("invalid_")) {
          const field = err.code.slice("invalid_".length);
          if (field === "username" || field === "password" || field === "displayName" || field === "display_name")
            setErrors({ [field === "display_name" ? "displayName" : field]: err.message });
          else setError(err.message);
        } else setError(errorMessage(err));
      },
    });
  };
  return (
    <form className="grid gap-4" onSubmit={submit} noValidate data-testid="signup-form">
      <div className="grid gap-2">
        <Label htmlFor="signup-username">Username</Label>
        <Input id="signup-username" name="username" autoComplete="username" autoCapitalize="none" aria-invalid={!!errors.username} />
        <FieldError>{errors.username}</FieldError>
      </div>
      <div className="grid gap-2">
        <Label htmlFor="signup-name">Display name</Label>
        <Input id="signup-name" name="displayName" autoComplete="nickname" maxLength={64} aria-invalid={!!errors.displayName} />
        <FieldError>{errors.displayName}</FieldError>
      </div>
      <div className="grid gap-2">
        <Label htmlFor="signup-password">Password</Label>
        <Input id="signup-password" name="password" type="password" autoComplete="new-password" aria-invalid={!!errors.password} />
        <FieldError>{errors.password ?? undefined}</FieldError>
      </div>
      {error && (
        <p role="alert" className="text-sm text-destructive">
          {error}
        </p>
      )}
      <Button type="submit" disabled={signup.isPending}>
        {signup.isPending && <Spinner />}
        Create account
      </Button>
    </form>
  );
}
