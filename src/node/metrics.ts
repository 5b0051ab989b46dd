import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { signatureWorkCounts } from "../crypto/index.ts";
import { storeFileBytes, type ChainStore } from "../ledger/index.ts";
import { assert } from "../util/index.ts";

/** What a collected counter reads at a scrape: one count, or counts by the value of its one label. */
export type CollectedCount = number | Readonly<Record<string, number>>;

/**
 * A counter read at each scrape from counts that code keeps itself (src/crypto's signature
 * work, a network's stats): absolute values, so it is monotonic as long as they are. With a
 * `label`, `read` gives the count for each of its values.
 */
export function collectedCounter(register: Registry, spec: { readonly name: string; readonly help: string; readonly label?: string; readonly read: () => CollectedCount }): Counter {
  const { label, read } = spec;
  return new Counter({
    name: spec.name,
    help: spec.help,
    labelNames: label === undefined ? [] : [label],
    registers: [register],
    collect() {
      const counts = read();
      this.reset();
      assert((typeof counts === "number") === (label === undefined), `collectedCounter ${spec.name}: counts by label exactly when it has a label`);
      if (typeof counts === "number") this.inc(counts);
      else for (const [value, count] of Object.entries(counts)) this.inc({ [label as string]: value }, count);
    },
  });
}

/** A gauge read at each scrape. */
export function collectedGauge(register: Registry, spec: { readonly name: string; readonly help: string; readonly read: () => number }): Gauge {
  const { read } = spec;
  return new Gauge({
    name: spec.name,
    help: spec.help,
    registers: [register],
    collect() {
      this.set(read());
    },
  });
}

export function createNodeMetrics(register: Registry) {
  return {
    height: new Gauge({ name: "ghostmesh_chain_height", help: "Height of the last committed block", registers: [register] }),
    txsCommittedTotal: new Counter({ name: "ghostmesh_chain_txs_committed_total", help: "Transactions committed", registers: [register] }),
    entriesCommittedTotal: new Counter({ name: "ghostmesh_chain_log_entries_committed_total", help: "Log entries committed", registers: [register] }),
    blockCommitSeconds: new Histogram({
      name: "ghostmesh_chain_block_commit_seconds",
      help: "Time from reaping transactions to the block being durable",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [register],
    }),
    stateNodesPrunedTotal: new Counter({
      name: "ghostmesh_state_nodes_pruned_total",
      help: "State tree nodes deleted by proof pruning (config state.proofHistoryBlocks)",
      registers: [register],
    }),
    stateProofsPrunedBeforeHeight: new Gauge({
      name: "ghostmesh_state_proofs_pruned_before_height",
      help: "Every height from this one on answers state proofs; below it only each epoch's last height (0: nothing pruned)",
      registers: [register],
    }),
    signaturesTotal: collectedCounter(register, {
      name: "ghostmesh_crypto_signatures_total",
      help: "Signatures made by this process (every validator it runs), by thread: the event loop or libuv's threadpool",
      label: "thread",
      read: () => {
        const counts = signatureWorkCounts();
        return { loop: counts.signsOnLoop, threadpool: counts.signsOnThreadpool };
      },
    }),
    signatureVerifiesTotal: collectedCounter(register, {
      name: "ghostmesh_crypto_signature_verifies_total",
      help: "Signature checks OpenSSL ran in this process (cached verdicts and malformed input not counted), by thread: the event loop or libuv's threadpool",
      label: "thread",
      read: () => {
        const counts = signatureWorkCounts();
        return { loop: counts.verifiesOnLoop, threadpool: counts.verifiesOnThreadpool };
      },
    }),
  };
}
export type NodeMetrics = ReturnType<typeof createNodeMetrics>;

/**
 * The chain store on disk, read at each scrape. SQLite reuses free pages but never shrinks its
 * file: when the free pages grow large (state proof pruning), `ghostmesh compact` on the stopped
 * node gives them back. A store closed meanwhile (the node stopping) keeps its last readings.
 */
export function registerStoreMetrics(register: Registry, store: ChainStore): void {
  let freePageBytes = 0;
  collectedGauge(register, {
    name: "ghostmesh_store_file_bytes",
    help: "chain.db and its write-ahead log on disk",
    read: () => {
      const { fileBytes, walBytes } = storeFileBytes(store.path);
      return fileBytes + walBytes;
    },
  });
  collectedGauge(register, {
    name: "ghostmesh_store_free_page_bytes",
    help: "Free pages in chain.db, reused for new rows; ghostmesh compact gives them back to the disk",
    read: () => {
      const space = store.pageSpace();
      if (space !== null) freePageBytes = space.pagesFree * space.pageBytes;
      return freePageBytes;
    },
  });
}
