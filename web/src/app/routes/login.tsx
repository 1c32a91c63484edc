import { useEffect } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router";
import { PageLoading } from "@/components/layouts/app-layout";
import { oidcErrorMessage, useSession } from "@/features/auth/api/auth";
import { AuthForm } from "@/features/auth/components/auth-form";
import { safeRedirect } from "@/lib/utils";

export default function LoginRoute() {
  const [params] = useSearchParams();
  const redirect = safeRedirect(params.get("redirect"));
  const session = useSession();
  const navigate = useNavigate();
  useEffect(() => {
    document.title = "Log in · roomchat";
  }, []);
  if (session.isPending) return <PageLoading />;
  if (session.data) return <Navigate to={redirect} replace />;
  return (
    <div className="flex min-h-full flex-col items-center justify-center gap-6 p-4">
      <AuthForm
        redirect={redirect}
        providerError={oidcErrorMessage(params.get("error"))}
        onDone={() => void navigate(redirect, { replace: true })}
      />
      <footer className="text-xs text-muted-foreground">roomchat · self-hosted chat</footer>
    </div>
  );
}
