import { useEffect } from "react";
import { SidebarTrigger } from "@/components/layouts/sidebar-context";
import { PublicRooms } from "@/features/rooms/components/public-rooms";

export default function HomeRoute() {
  useEffect(() => {
    document.title = "Public rooms · roomchat";
  }, []);
  return (
    <div className="flex h-full flex-col overflow-y-auto">
      <header className="flex h-14 shrink-0 items-center gap-2 px-4 md:hidden">
        <SidebarTrigger />
        <span className="font-semibold">roomchat</span>
      </header>
      <DesktopTrigger />
      <PublicRooms />
    </div>
  );
}

function DesktopTrigger() {
  return (
    <div className="hidden px-4 pt-3 md:block">
      <SidebarTrigger />
    </div>
  );
}
