import { useSyncExternalStore } from "react";

/** A tiny external store for app-wide UI state (dialogs), readable from any component. */
export function createStore<T>(initial: T) {
  let state = initial;
  const listeners = new Set<() => void>();
  const get = () => state;
  const set = (next: T | ((prev: T) => T)) => {
    state = typeof next === "function" ? (next as (p: T) => T)(state) : next;
    listeners.forEach((l) => l());
  };
  const subscribe = (l: () => void) => {
    listeners.add(l);
    return () => void listeners.delete(l);
  };
  const useValue = () => useSyncExternalStore(subscribe, get, get);
  return { get, set, subscribe, useValue };
}
