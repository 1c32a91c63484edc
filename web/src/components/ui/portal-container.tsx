import { createContext, use } from "react";

/**
 * Where overlays (dialogs, menus, tooltips) mount. The main document by default; the
 * Picture-in-Picture window's body while the room is popped out there.
 */
export const PortalContainerContext = createContext<HTMLElement | null>(null);
export const usePortalContainer = () => use(PortalContainerContext) ?? undefined;
