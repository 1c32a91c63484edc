import { Link2 } from "lucide-react";
import { useEffect } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { Button } from "@/components/ui/button";
import { Spinner } from "@/components/ui/spinner";
import { SidebarTrigger } from "@/components/layouts/sidebar-context";
import { useAcceptInvite } from "@/features/rooms/api/rooms";
import { errorMessage, isApiError } from "@/lib/api-client";

export default function InviteRoute() {
  const { token = "" } = useParams();
  const accept = useAcceptInvite();
  const navigate = useNavigate();
  useEffect(() => {
    document.title = "Invitation · roomchat";
  }, []);

  const join = () => accept.mutate(token, { onSuccess: (room) => void navigate(`/rooms/${room.id}`, { replace: true }) });

  return (
    <div className="flex h-full flex-col">
      <header className="flex h-12 shrink-0 items-center px-4">
        <SidebarTrigger />
      </header>
      <div className="grid flex-1 place-items-center p-6">
        <div className="grid w-full max-w-sm gap-4 rounded-xl border bg-card p-6 text-center">
          <span className="mx-auto grid size-11 place-items-center rounded-full bg-primary/15 text-primary">
            <Link2 className="size-5" />
          </span>
          <div>
            <h1 className="text-lg font-semibold">You are invited to a room</h1>
            <p className="text-sm text-muted-foreground">Accept to become a member and open the conversation.</p>
          </div>
          {accept.isError && (
            <p role="alert" className="text-sm text-destructive">
              {isApiError(accept.error, "not_found") ? "This invite link is invalid or has expired." : errorMessage(accept.error)}
            </p>
          )}
          <Button onClick={join} disabled={accept.isPending} data-testid="accept-invite">
            {accept.isPending && <Spinner />}
            Accept invite
          </Button>
          <Button variant="ghost" asChild>
            <Link to="/">Not now</Link>
          </Button>
        </div>
      </div>
    </div>
  );
}
