// The watches a session holds, by server path and kind, as ZooKeeper's client keeps them (ZKWatchManager):
// getData and exists on an existing node set a data watch, exists on a missing node an exist watch, getChildren a
// child watch. A notification removes and fires the watches its event type triggers; each callback once.
import type { WatchEventType, Watcher } from '../store.ts';
import { EventType } from './jute.ts';

export type WatchKind = 'data' | 'exist' | 'child';

export class WatchRegistry {
  readonly #data = new Map<string, Set<Watcher>>();
  readonly #exist = new Map<string, Set<Watcher>>();
  readonly #child = new Map<string, Set<Watcher>>();

  add(kind: WatchKind, path: string, watcher: Watcher): void {
    const map = kind === 'data' ? this.#data : kind === 'exist' ? this.#exist : this.#child;
    const set = map.get(path);
    if (set === undefined) map.set(path, new Set([watcher]));
    else set.add(watcher);
  }

  /**
   * Removes the watches a notification (WatcherEvent type) on `path` triggers and returns its event type and
   * callbacks; undefined for event types this client does not use (watch removal, state-only events).
   */
  take(type: number, path: string): { type: WatchEventType; watchers: Set<Watcher> } | undefined {
    const watchers = new Set<Watcher>();
    switch (type) {
      case EventType.created:
        take(this.#data, path, watchers);
        take(this.#exist, path, watchers);
        return { type: 'created', watchers };
      case EventType.dataChanged:
        take(this.#data, path, watchers);
        take(this.#exist, path, watchers);
        return { type: 'dataChanged', watchers };
      case EventType.deleted:
        take(this.#data, path, watchers);
        take(this.#exist, path, watchers);
        take(this.#child, path, watchers);
        return { type: 'deleted', watchers };
      case EventType.childrenChanged:
        take(this.#child, path, watchers);
        return { type: 'childrenChanged', watchers };
      default:
        return undefined;
    }
  }

  /** Every watched path of each kind, for SetWatches after a reconnect. */
  paths(): { data: string[]; exist: string[]; child: string[] } {
    return { data: [...this.#data.keys()], exist: [...this.#exist.keys()], child: [...this.#child.keys()] };
  }

  clear(): void {
    this.#data.clear();
    this.#exist.clear();
    this.#child.clear();
  }
}

function take(map: Map<string, Set<Watcher>>, path: string, into: Set<Watcher>): void {
  const set = map.get(path);
  if (set === undefined) return;
  map.delete(path);
  for (const w of set) into.add(w);
}
