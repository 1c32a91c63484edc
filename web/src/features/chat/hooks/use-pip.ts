// Document Picture-in-Picture: pop the room out into a small always-on-top window.
import { useEffect, useState } from "react";

type DocumentPiP = {
  requestWindow(o?: { width?: number; height?: number }): Promise<Window>;
  window: Window | null;
};

const api = (): DocumentPiP | undefined => (globalThis as unknown as { documentPictureInPicture?: DocumentPiP }).documentPictureInPicture;

export const pipSupported = () => api() !== undefined;

/** Copies every stylesheet (and the theme class) into the PiP document. */
function copyStyles(target: Window) {
  for (const sheet of Array.from(document.styleSheets)) {
    try {
      const css = Array.from(sheet.cssRules)
        .map((r) => r.cssText)
        .join("\n");
      const style = target.document.createElement("style");
      style.textContent = css;
      target.document.head.appendChild(style);
    } catch {
      if (sheet.href) {
        const link = target.document.createElement("link");
        link.rel = "stylesheet";
        link.href = sheet.href;
        target.document.head.appendChild(link);
      }
    }
  }
  target.document.documentElement.className = document.documentElement.className;
  target.document.body.className = "bg-background text-foreground antialiased";
}

export function usePip() {
  const [pipWindow, setPipWindow] = useState<Window | null>(null);

  const open = async () => {
    const a = api();
    if (!a || pipWindow) return;
    const w = await a.requestWindow({ width: 400, height: 640 });
    copyStyles(w);
    w.document.title = document.title;
    const root = w.document.createElement("div");
    root.id = "pip-root";
    root.style.height = "100vh";
    w.document.body.appendChild(root);
    w.addEventListener("pagehide", () => setPipWindow(null), { once: true });
    setPipWindow(w);
  };

  const close = () => {
    pipWindow?.close();
    setPipWindow(null);
  };

  useEffect(() => () => pipWindow?.close(), [pipWindow]);

  // keep the theme in sync while open
  useEffect(() => {
    if (!pipWindow) return;
    const obs = new MutationObserver(() => {
      pipWindow.document.documentElement.className = document.documentElement.className;
    });
    obs.observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
    return () => obs.disconnect();
  }, [pipWindow]);

  return { pipWindow, container: pipWindow?.document.getElementById("pip-root") ?? null, open, close, supported: pipSupported() };
}
