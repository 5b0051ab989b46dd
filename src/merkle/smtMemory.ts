import { assert, toHex } from "../util/index.ts";
import { smtEmptyRoot, smtKeyHash } from "./smtHash.ts";
import type { SmtStoredNode } from "./smtNode.ts";
import { proveSmt } from "./smtProof.ts";
import type { StateProof } from "./smtProof.ts";
import { updateSmt } from "./smtUpdate.ts";
import type { SmtUpdate } from "./smtUpdate.ts";
import { hashStateWrites } from "./smtWrites.ts";
import type { StateWrite } from "./smtWrites.ts";

/**
 * A state tree held in memory, latest version only: for tests, the simulator and tools.
 * It also audits the update's bookkeeping: every stale row it is told to drop must be exactly
 * the row it holds at that path, so after any update it holds exactly the nodes of the tree.
 */
export type MemorySmt = {
  readonly root: Uint8Array;
  readonly version: number;
  /** Node rows held: equals the number of nodes in the tree. */
  readonly nodeCount: number;
  /** Applies a batch (each key at most once) as the next version; returns what a store would write. */
  update(writes: readonly StateWrite[]): SmtUpdate;
  get(key: Uint8Array): Uint8Array | null;
  prove(key: Uint8Array): { readonly value: Uint8Array | null; readonly proof: StateProof };
};

export function createMemorySmt(): MemorySmt {
  // Keyed by hex path / hex key hash; nothing iterates these maps.
  const nodes = new Map<string, SmtStoredNode>();
  const values = new Map<string, Uint8Array>();
  const source = {
    readNode(path: Uint8Array, rowVersion: number): SmtStoredNode | undefined {
      // Only the newest row of each path is held; a read of another is the tree's mistake, and shows as a missing node.
      const held = nodes.get(toHex(path));
      return held === undefined || held.version !== rowVersion ? undefined : { version: held.version, bytes: held.bytes.slice() };
    },
  };
  let root = smtEmptyRoot();
  let rootVersion = 0;
  let version = 0;
  const get = (key: Uint8Array): Uint8Array | null => values.get(toHex(smtKeyHash(key)))?.slice() ?? null;
  return {
    get root() {
      return root.slice();
    },
    get version() {
      return version;
    },
    get nodeCount() {
      return nodes.size;
    },
    update(writes) {
      const hashed = hashStateWrites(writes);
      const next = version + 1;
      const update = updateSmt(source, root, rootVersion, hashed, next);
      for (const stale of update.staleNodes) {
        const held = nodes.get(toHex(stale.path));
        assert(held !== undefined && held.version === stale.version, `MemorySmt: stale row ${toHex(stale.path)}@${stale.version} is not the row held`);
        nodes.delete(toHex(stale.path));
      }
      for (const node of update.nodes) {
        assert(!nodes.has(toHex(node.path)), `MemorySmt: new row ${toHex(node.path)} overwrites a row not marked stale`);
        nodes.set(toHex(node.path), { version: next, bytes: node.bytes.slice() });
      }
      for (let i = 0; i < hashed.length; i++) {
        const write = hashed[i] as (typeof hashed)[number];
        if (update.changed[i] !== 1) continue;
        if (write.value === null) values.delete(toHex(write.keyHash));
        else values.set(toHex(write.keyHash), write.value.slice());
      }
      root = update.root;
      rootVersion = update.rootVersion;
      version = next;
      return update;
    },
    get,
    prove(key) {
      return { value: get(key), proof: proveSmt(source, root, rootVersion, smtKeyHash(key)) };
    },
  };
}
