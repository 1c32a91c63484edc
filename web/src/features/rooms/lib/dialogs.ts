import { createStore } from "@/lib/store";
import type { Visibility } from "@/types/api";

/** The create-room dialog, opened from the sidebar, the home page or the empty state. */
export const createRoomDialog = createStore<{ open: boolean; visibility: Visibility }>({ open: false, visibility: "unlisted" });
export const openCreateRoom = (visibility: Visibility = "unlisted") => createRoomDialog.set({ open: true, visibility });

/** The owner's room settings dialog, opened from the room header or the sidebar menu. */
export const roomSettingsDialog = createStore<{ roomId: string | null }>({ roomId: null });
export const openRoomSettings = (roomId: string) => roomSettingsDialog.set({ roomId });
