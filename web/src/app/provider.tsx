import { QueryClientProvider } from "@tanstack/react-query";
import { useEffect } from "react";
import { Toaster } from "sonner";
import { ConfirmDialogHost } from "@/components/confirm-dialog";
import { TooltipProvider } from "@/components/ui/tooltip";
import { useSettings } from "@/features/settings/lib/settings-store";
import { useMediaQuery } from "@/hooks/use-media-query";
import { queryClient } from "@/lib/query-client";

function useApplyTheme(): "dark" | "light" {
  const { theme } = useSettings();
  const prefersDark = useMediaQuery("(prefers-color-scheme: dark)");
  const dark = theme === "dark" || (theme === "system" && prefersDark);
  useEffect(() => {
    document.documentElement.classList.toggle("dark", dark);
    document.querySelector('meta[name="theme-color"]')?.setAttribute("content", dark ? "#18181b" : "#ffffff");
  }, [dark]);
  return dark ? "dark" : "light";
}

export function AppProvider({ children }: { children: React.ReactNode }) {
  const theme = useApplyTheme();
  return (
    <QueryClientProvider client={queryClient}>
      <TooltipProvider>
        {children}
        <ConfirmDialogHost />
        <Toaster position="top-center" richColors theme={theme} />
      </TooltipProvider>
    </QueryClientProvider>
  );
}
