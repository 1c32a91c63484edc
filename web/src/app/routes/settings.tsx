import { useEffect } from "react";
import { SidebarTrigger } from "@/components/layouts/sidebar-context";
import { SettingsPage } from "@/features/settings/components/settings-page";

export default function SettingsRoute() {
  useEffect(() => {
    document.title = "Settings · roomchat";
  }, []);
  return (
    <div className="flex h-full flex-col overflow-y-auto">
      <header className="flex h-12 shrink-0 items-center px-4">
        <SidebarTrigger />
      </header>
      <SettingsPage />
    </div>
  );
}
