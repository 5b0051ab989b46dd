/** StateHistory over a StateStore's versions (the committed chain, a replay, a test harness). */
import { isGhostmeshError } from "../util/index.ts";
import type { StateStore } from "../state/index.ts";
import type { StateHistory } from "./types.ts";

/**
 * `throughVersion`: the newest version the history may see (default: the store's latest), for
 * a replay that reads a store holding versions beyond the block it executes.
 */
export function stateStoreHistory(store: StateStore, throughVersion?: () => number): StateHistory {
  return {
    keysChangedSince(height, keysMax) {
      try {
        return store.keysWrittenAfter(height, { keysMax, ...(throughVersion === undefined ? {} : { throughVersion: throughVersion() }) });
      } catch (err) {
        if (isGhostmeshError(err) && err.code === "STATE_TOO_MANY_KEYS") return undefined;
        throw err;
      }
    },
    valueAt(key, height) {
      return store.get(key, height) ?? undefined;
    },
  };
}
