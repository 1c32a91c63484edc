import { PanelLeft } from "lucide-react";
import { createContext, use, useEffect, useEffectEvent, useState } from "react";
import { Button } from "@/components/ui/button";
import { useIsMobile } from "@/hooks/use-media-query";
import { cn } from "@/lib/utils";

type SidebarState = {
  isMobile: boolean;
  /** Desktop: the sidebar column is shown. */
  open: boolean;
  /** Mobile: the sheet is open. */
  openMobile: boolean;
  setOpenMobile: (o: boolean) => void;
  toggle: () => void;
};

const SidebarContext = createContext<SidebarState | null>(null);
const KEY = "roomchat.sidebar";

export function SidebarProvider({ children }: { children: React.ReactNode }) {
  const isMobile = useIsMobile();
  const [open, setOpen] = useState(() => localStorage.getItem(KEY) !== "closed");
  const [openMobile, setOpenMobile] = useState(false);

  const toggle = () => {
    if (isMobile) {
      setOpenMobile(!openMobile);
      return;
    }
    localStorage.setItem(KEY, open ? "closed" : "open");
    setOpen(!open);
  };

  // Ctrl+B / Cmd+B: one listener for the provider's life, calling the latest toggle.
  const onToggleKey = useEffectEvent(() => toggle());
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key.toLowerCase() === "b" && (e.metaKey || e.ctrlKey) && !e.altKey && !e.shiftKey) {
        e.preventDefault();
        onToggleKey();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  return <SidebarContext value={{ isMobile, open, openMobile, setOpenMobile, toggle }}>{children}</SidebarContext>;
}

export function useSidebar(): SidebarState {
  const s = use(SidebarContext);
  if (!s) throw new Error("useSidebar outside SidebarProvider");
  return s;
}

/** Shown in page headers when the sidebar is hidden (always on mobile). */
export function SidebarTrigger({ className }: { className?: string }) {
  const s = use(SidebarContext);
  if (!s || (!s.isMobile && s.open)) return null;
  return (
    <Button variant="ghost" size="icon-sm" className={cn("-ml-1", className)} onClick={s.toggle} aria-label="Open sidebar" data-testid="sidebar-trigger">
      <PanelLeft />
    </Button>
  );
}
