import { LogOut, MessageSquare, PanelLeftClose, Plus, Settings } from "lucide-react";
import { Suspense } from "react";
import { Link, Navigate, Outlet, useLocation, useNavigate } from "react-router";
import { toast } from "sonner";
import { UserAvatar } from "@/features/users/components/user-avatar";
import { Button } from "@/components/ui/button";
import { DropdownMenu, DropdownMenuContent, DropdownMenuItem, DropdownMenuLabel, DropdownMenuSeparator, DropdownMenuTrigger } from "@/components/ui/dropdown-menu";
import { Sheet, SheetContent, SheetDescription, SheetTitle } from "@/components/ui/sheet";
import { Spinner } from "@/components/ui/spinner";
import { useLogout, useSession } from "@/features/auth/api/auth";
import { CreateRoomDialog } from "@/features/rooms/components/create-room-dialog";
import { RoomNav } from "@/features/rooms/components/room-nav";
import { RoomSettingsDialog } from "@/features/rooms/components/room-settings-dialog";
import { openCreateRoom } from "@/features/rooms/lib/dialogs";
import { errorMessage } from "@/lib/api-client";
import type { User } from "@/types/api";
import { SidebarProvider, useSidebar } from "./sidebar-context";

export function PageLoading() {
  return (
    <div className="grid h-full place-items-center text-sm text-muted-foreground">
      <span className="flex items-center gap-2">
        <Spinner /> Loading…
      </span>
    </div>
  );
}

/** Everything behind sign-in: the sidebar and the page. */
export function AppLayout() {
  const session = useSession();
  const location = useLocation();
  if (session.isPending) return <PageLoading />;
  if (session.isError)
    return (
      <div className="grid h-full place-items-center p-6 text-center">
        <div className="grid gap-3">
          <p className="font-medium">Could not reach the server</p>
          <p className="text-sm text-muted-foreground">{errorMessage(session.error)}</p>
          <Button variant="outline" onClick={() => void session.refetch()}>
            Try again
          </Button>
        </div>
      </div>
    );
  if (!session.data) {
    const redirect = location.pathname + location.search + location.hash;
    return <Navigate to={redirect === "/" ? "/login" : `/login?redirect=${encodeURIComponent(redirect)}`} replace />;
  }
  return (
    <SidebarProvider>
      <Shell user={session.data} />
    </SidebarProvider>
  );
}

function Shell({ user }: { user: User }) {
  const sidebar = useSidebar();
  return (
    <div className="flex h-full">
      {!sidebar.isMobile && sidebar.open && (
        <aside className="flex w-64 shrink-0 flex-col border-r border-sidebar-border bg-sidebar text-sidebar-foreground" data-testid="sidebar">
          <SidebarBody user={user} />
        </aside>
      )}
      {sidebar.isMobile && (
        <Sheet open={sidebar.openMobile} onOpenChange={sidebar.setOpenMobile}>
          <SheetContent side="left" className="gap-0 p-0" data-testid="sidebar">
            <SheetTitle className="sr-only">Navigation</SheetTitle>
            <SheetDescription className="sr-only">Rooms and account</SheetDescription>
            <SidebarBody user={user} onNavigate={() => sidebar.setOpenMobile(false)} />
          </SheetContent>
        </Sheet>
      )}
      <main className="flex min-w-0 flex-1 flex-col">
        <Suspense fallback={<PageLoading />}>
          <Outlet />
        </Suspense>
      </main>
      <CreateRoomDialog />
      <RoomSettingsDialog />
    </div>
  );
}

function SidebarBody({ user, onNavigate }: { user: User; onNavigate?: () => void }) {
  const sidebar = useSidebar();
  return (
    <div className="flex h-full flex-col">
      <div className="flex h-14 items-center gap-2 px-3">
        <Link to="/" onClick={onNavigate} className="flex items-center gap-2 rounded-md px-1 font-semibold tracking-tight">
          <span className="grid size-7 place-items-center rounded-md bg-primary text-primary-foreground">
            <MessageSquare className="size-4" />
          </span>
          roomchat
        </Link>
        {!sidebar.isMobile && (
          <Button variant="ghost" size="icon-sm" className="ml-auto text-muted-foreground" onClick={sidebar.toggle} aria-label="Hide sidebar (Ctrl+B)" title="Hide sidebar (Ctrl+B)">
            <PanelLeftClose />
          </Button>
        )}
      </div>
      <div className="px-3 pb-3">
        <Button
          variant="outline"
          className="w-full justify-start"
          onClick={() => {
            onNavigate?.();
            openCreateRoom("unlisted");
          }}
          data-testid="sidebar-create-room"
        >
          <Plus />
          New room
        </Button>
      </div>
      <div className="min-h-0 flex-1 overflow-y-auto px-2 pb-4">
        <RoomNav onNavigate={onNavigate} />
      </div>
      <div className="border-t border-sidebar-border p-2">
        <UserMenu user={user} onNavigate={onNavigate} />
      </div>
    </div>
  );
}

function UserMenu({ user, onNavigate }: { user: User; onNavigate?: () => void }) {
  const logout = useLogout();
  const navigate = useNavigate();
  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <button className="flex w-full items-center gap-2 rounded-md p-2 text-left text-sm hover:bg-sidebar-accent" data-testid="user-menu">
          <UserAvatar user={user} userId={user.id} className="size-8" />
          <span className="min-w-0 flex-1">
            <span className="block truncate font-medium">{user.displayName}</span>
            <span className="block truncate text-xs text-muted-foreground">@{user.username}</span>
          </span>
        </button>
      </DropdownMenuTrigger>
      <DropdownMenuContent side="top" align="start" className="w-56">
        <DropdownMenuLabel className="truncate">{user.displayName}</DropdownMenuLabel>
        <DropdownMenuSeparator />
        <DropdownMenuItem
          onSelect={() => {
            onNavigate?.();
            void navigate("/settings");
          }}
        >
          <Settings />
          Settings
        </DropdownMenuItem>
        <DropdownMenuItem
          variant="destructive"
          onSelect={() =>
            logout.mutate(undefined, {
              onSuccess: () => void navigate("/login", { replace: true }),
              onError: (e) => toast.error(errorMessage(e)),
            })
          }
          data-testid="logout"
        >
          <LogOut />
          Log out
        </DropdownMenuItem>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}
