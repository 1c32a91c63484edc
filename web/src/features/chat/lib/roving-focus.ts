// Which message of the list is the one Tab stop (roving tabindex): the one the user last focused,
// or else the newest. An external store so that moving it re-renders only the two rows involved.

export class RovingFocus {
  private active: string | null = null;
  private newest: string | null = null;
  private readonly listeners = new Set<() => void>();

  subscribe = (l: () => void) => {
    this.listeners.add(l);
    return () => void this.listeners.delete(l);
  };

  /** The key of the row that takes part in the Tab order. */
  get tabbable(): string | null {
    return this.active ?? this.newest;
  }

  /** A row got the focus (by keyboard or pointer). */
  focus(key: string | null) {
    this.change(() => (this.active = key));
  }

  /** The rows changed: the newest row, and whether the active one still exists. */
  rowsChanged(keys: { has(key: string): boolean }, newest: string | null) {
    this.change(() => {
      this.newest = newest;
      if (this.active !== null && !keys.has(this.active)) this.active = null;
    });
  }

  private change(fn: () => void) {
    const before = this.tabbable;
    fn();
    if (this.tabbable !== before) this.listeners.forEach((l) => l());
  }
}

/** Where focus goes from `index` of `count` rows on a key, or null for a key the list ignores. */
export function rovingTarget(key: string, index: number, count: number, page = 10): number | null {
  if (count === 0) return null;
  let next: number;
  switch (key) {
    case "ArrowUp":
      next = index - 1;
      break;
    case "ArrowDown":
      next = index + 1;
      break;
    case "PageUp":
      next = index - page;
      break;
    case "PageDown":
      next = index + page;
      break;
    case "Home":
      next = 0;
      break;
    case "End":
      next = count - 1;
      break;
    default:
      return null;
  }
  return Math.min(count - 1, Math.max(0, next));
}
