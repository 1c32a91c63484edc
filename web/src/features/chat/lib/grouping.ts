// Groups the message list into author runs with time separators. Pure; no DOM.

export const GROUP_GAP_MS = 5 * 60_000;

/** The minimum a row of the list needs for grouping. */
export type Groupable = {
  key: string;
  createdAt: number;
  authorKind: "user" | "system" | "bot";
  authorId?: string;
};

export type Separator = { type: "separator"; key: string; at: number };
export type Group<T extends Groupable> = {
  type: "group";
  key: string;
  authorKind: Groupable["authorKind"];
  authorId?: string;
  mine: boolean;
  items: T[];
};
export type ListItem<T extends Groupable> = Separator | Group<T>;

const sameAuthor = (a: Pick<Groupable, "authorKind" | "authorId">, b: Pick<Groupable, "authorKind" | "authorId">) =>
  a.authorKind === b.authorKind && a.authorId === b.authorId;

/**
 * A new group starts when the author changes, for every system message, and after a gap of
 * more than 5 minutes; such a gap (and the very first row) also gets a time separator.
 * Rows must be in display order (ascending).
 */
export function groupMessages<T extends Groupable>(rows: T[], meId: string | undefined): ListItem<T>[] {
  const out: ListItem<T>[] = [];
  let current: Group<T> | null = null;
  let prev: T | null = null;
  for (const row of rows) {
    const gap = prev === null || row.createdAt - prev.createdAt > GROUP_GAP_MS;
    if (gap) out.push({ type: "separator", key: `sep-${row.key}`, at: row.createdAt });
    const startNew =
      current === null || gap || row.authorKind === "system" || !sameAuthor(current, row);
    if (startNew) {
      current = {
        type: "group",
        key: `grp-${row.key}`,
        authorKind: row.authorKind,
        authorId: row.authorId,
        mine: row.authorKind === "user" && meId !== undefined && row.authorId === meId,
        items: [row],
      };
      out.push(current);
    } else {
      current!.items.push(row);
    }
    prev = row;
  }
  return out;
}

/**
 * Gives groups keys that survive prepending and appending: a group keeps the key it had when
 * any of its rows was first seen, so React does not re-create a whole group (and the reading
 * position's DOM) when older messages of the same author are loaded above it. `memory` maps
 * row key -> group key and is updated in place.
 */
export function stabilizeGroupKeys<T extends Groupable>(items: ListItem<T>[], memory: Map<string, string>): ListItem<T>[] {
  const used = new Set<string>();
  const out = items.map((item) => {
    if (item.type !== "group") return item;
    let key: string | undefined;
    for (const r of item.items) {
      const k = memory.get(r.key);
      if (k !== undefined && !used.has(k)) {
        key = k;
        break;
      }
    }
    key ??= item.key;
    if (used.has(key)) key = `${item.key}~${used.size}`;
    used.add(key);
    for (const r of item.items) memory.set(r.key, key);
    return key === item.key ? item : { ...item, key };
  });
  return out;
}

/**
 * Returns `next` with every item that equals its counterpart in `prev` (same key, same rows by
 * identity) replaced by the previous object, so memoized components skip unchanged groups.
 */
export function reuseGroups<T extends Groupable>(prev: ListItem<T>[], next: ListItem<T>[]): ListItem<T>[] {
  if (prev.length === 0) return next;
  const byKey = new Map(prev.map((i) => [i.key, i]));
  return next.map((item) => {
    const old = byKey.get(item.key);
    if (!old || old.type !== item.type) return item;
    if (item.type === "separator") return old.type === "separator" && old.at === item.at ? old : item;
    const o = old as Group<T>;
    if (o.mine !== item.mine || o.items.length !== item.items.length) return item;
    for (let i = 0; i < item.items.length; i++) if (o.items[i] !== item.items[i]) return item;
    return o;
  });
}

/**
 * The next list from the previous one: groups keep the keys their rows had (so React does not
 * remount a group that grows at the top) and unchanged groups keep their identity. Pure.
 */
export function nextListItems<T extends Groupable>(prev: ListItem<T>[], rows: T[], meId: string): ListItem<T>[] {
  const memory = new Map<string, string>();
  for (const item of prev) if (item.type === "group") for (const r of item.items) memory.set(r.key, item.key);
  return reuseGroups(prev, stabilizeGroupKeys(groupMessages(rows, meId), memory));
}
