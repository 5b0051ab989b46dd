/** The persisted safety state keeps a new epoch's timeout mark (epochVotedView), and reads states written before it existed. */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { encodeCanonical } from "../../../src/codec/index.ts";
import { safetyForNewEpoch, type SafetyState } from "../../../src/consensus/index.ts";
import { ChainStore } from "../../../src/ledger/index.ts";
import { ConsensusStore } from "../../../src/node/consensus/consensusStore.ts";

test("consensus store: a new epoch's safety state reads back with its timeout mark; one stored without the mark reads as before", () => {
  const dir = mkdtempSync(join(tmpdir(), "gm-safety-"));
  const chainStore = new ChainStore(join(dir, "chain.db"));
  try {
    const store = new ConsensusStore(chainStore);
    const old: SafetyState = { epoch: 0, lastVotedView: 12, highestQcView: 10, lastProposedView: 11, highQc: null, lastTc: null };
    const next = safetyForNewEpoch(old, 1, 9);
    assert.equal(next.epochVotedView, 9);
    store.saveSafety(next);
    assert.deepEqual(store.loadSafety(), next);
    // Bytes as versions before the mark wrote them.
    chainStore.saveSafetyState(encodeCanonical(old));
    assert.deepEqual(store.loadSafety(), old);
  } finally {
    chainStore.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
