// Scroll decisions for the message list. Pure: the component measures, these decide.

export const STICK_THRESHOLD_PX = 256;

export type ScrollMetrics = { scrollTop: number; scrollHeight: number; clientHeight: number };

export function distanceFromBottom(m: ScrollMetrics): number {
  return Math.max(0, m.scrollHeight - m.clientHeight - m.scrollTop);
}

/** The view sticks to the bottom while it is within 256 px of it. */
export function isStuck(m: ScrollMetrics, threshold = STICK_THRESHOLD_PX): boolean {
  return distanceFromBottom(m) <= threshold;
}

export type ScrollAction =
  | { type: "jump-bottom" }
  | { type: "smooth-bottom" }
  | { type: "compensate"; top: number }
  | { type: "none" };

export type ScrollInput = {
  /** Nothing was rendered before this change (first load): go straight to the bottom. */
  initial: boolean;
  /** Older messages were inserted above what was on screen. */
  prepended: boolean;
  /** The user was stuck to the bottom before the change. */
  stuck: boolean;
  /** The user just sent something: always follow. */
  forceStick: boolean;
  prevScrollTop: number;
  prevScrollHeight: number;
  scrollHeight: number;
};

/**
 * After the content changed: the first load jumps to the bottom; prepending older history keeps
 * the reading position (scrollTop grows by the added height); otherwise follow the bottom when
 * stuck or when the user just sent; else leave the view alone.
 */
export function decideScrollAction(i: ScrollInput): ScrollAction {
  if (i.initial) return { type: "jump-bottom" };
  if (i.forceStick) return { type: "smooth-bottom" };
  if (i.prepended) {
    const delta = i.scrollHeight - i.prevScrollHeight;
    return delta !== 0 ? { type: "compensate", top: i.prevScrollTop + delta } : { type: "none" };
  }
  if (i.stuck && i.scrollHeight !== i.prevScrollHeight) return { type: "smooth-bottom" };
  return { type: "none" };
}

/** Messages from others that arrive while the user is scrolled up count as unread. */
export function nextUnread(prev: number, arrivedFromOthers: number, stuck: boolean): number {
  if (stuck) return 0;
  return prev + arrivedFromOthers;
}
