import { Link } from "react-router";
import { Button } from "@/components/ui/button";
import { SidebarTrigger } from "@/components/layouts/sidebar-context";

export default function NotFoundRoute() {
  return (
    <div className="flex h-full flex-col">
      <header className="flex h-14 items-center px-4">
        <SidebarTrigger />
      </header>
      <div className="grid flex-1 place-items-center p-6 text-center">
        <div className="grid gap-3">
          <p className="text-lg font-medium">Page not found</p>
          <Button asChild variant="outline">
            <Link to="/">Go home</Link>
          </Button>
        </div>
      </div>
    </div>
  );
}
