/**
 * ghostmesh verify beside a running node: blocks another connection commits meanwhile neither
 * fail it ("state version N+1 exists beyond the last committed block N", a head without its
 * certificate row) nor get half-read, whether the replay reads one snapshot or releases its
 * snapshots as it goes (so that the node's write-ahead log can be checkpointed).
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildQc, leaderOf, voteMessage } from "../../src/consensus/index.ts";
import { sign, type SigningKey } from "../../src/crypto/index.ts";
import { ChainStore, type Genesis } from "../../src/ledger/index.ts";
import { Chain } from "../../src/node/chain.ts";
import { prepareDevnetHomes } from "../../src/node/consensus/index.ts";
import { homePaths } from "../../src/node/home.ts";
import { verifyStore, type VerifyProgress } from "../../src/node/verify.ts";
import { buildCertifiedChain } from "./bundle/chainFixture.ts";

const BLOCKS = 6;
const COMMITTED_DURING_VERIFY = 3;

/** What a running validator does to its store: the next (empty) block, with a quorum's QC. */
function commitNextBlock(chain: Chain, genesis: Genesis, keys: readonly SigningKey[]): void {
  const { head } = chain;
  const view = (head.header?.view ?? 0) + 1;
  const proposer = genesis.validators[leaderOf(genesis, view)]!;
  const justify = chain.store.certificate(head.height);
  const built = chain.buildBlock({ txs: [], proposer: proposer.address, view, timestampMs: head.timestamp + 1_000, justify, evidence: [] });
  const message = voteMessage(genesis.chainId, view, built.block.header.height, built.hash);
  const quorum = keys.slice(0, Math.floor((2 * keys.length) / 3) + 1);
  chain.commitBlock(built, buildQc(view, built.block.header.height, built.hash, new Map(quorum.map((key, i) => [i, sign(key, message)] as const)), keys.length));
}

describe("verify: beside a node that keeps committing", () => {
  const dir = mkdtempSync(join(tmpdir(), "gm-verify-live-"));
  let genesis: Genesis;
  let keys: SigningKey[];
  let dbPath: string;

  before(async () => {
    const homes = prepareDevnetHomes(dir, { validators: 4, chainId: "verify-live", genesisTimeMs: 1_700_000_000_000 });
    genesis = homes.genesis;
    keys = homes.homes.map((h) => h.key);
    const home = homes.homes[0]!.home;
    await buildCertifiedChain({ home, genesis, keys, blocks: BLOCKS, txsPerBlock: 2 });
    dbPath = homePaths(home).chainDb;
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it("checks the chain as it stood at its first read while blocks commit, and sees them on the next run", async () => {
    const reader = new ChainStore(dbPath);
    const writer = new Chain(genesis, new ChainStore(dbPath));
    try {
      let committed = 0;
      const report = await verifyStore(reader, genesis, () => {
        // Mid-replay, as often as a busy node would: a new head, a new state version, the
        // old head's certificate row gone (it is now the new header's justify).
        if (committed < COMMITTED_DURING_VERIFY) {
          commitNextBlock(writer, genesis, keys);
          committed++;
        }
      }, { snapshotHoldMsMax: Number.MAX_SAFE_INTEGER });
      assert.equal(committed, COMMITTED_DURING_VERIFY);
      assert.equal(writer.head.height, BLOCKS + COMMITTED_DURING_VERIFY);
      assert.equal(report.height, BLOCKS, "the replay ends at the head of its snapshot");
      const again = await verifyStore(reader, genesis);
      assert.equal(again.height, BLOCKS + COMMITTED_DURING_VERIFY, "a later run sees the blocks committed meanwhile");
    } finally {
      reader.close();
      writer.store.close();
    }
  });

  it("releases its snapshot between blocks below the head it started at, so the node's WAL checkpoints fully, and ends at a later head", async () => {
    const reader = new ChainStore(dbPath);
    const writer = new Chain(genesis, new ChainStore(dbPath));
    try {
      const heightAtStart = writer.head.height;
      let committed = 0;
      let checkpoint: { log: number; checkpointed: number } | null = null;
      const progress: VerifyProgress = (height) => {
        if (committed < COMMITTED_DURING_VERIFY) {
          commitNextBlock(writer, genesis, keys);
          committed++;
        } else if (checkpoint === null) {
          // In a snapshot taken after the commits: a passive checkpoint copies every WAL frame.
          checkpoint = writer.store.unsafeDatabase().prepare("PRAGMA wal_checkpoint(PASSIVE)").get() as { log: number; checkpointed: number };
          assert.ok(height < heightAtStart, "checked below the head verify started at");
        }
      };
      const report = await verifyStore(reader, genesis, progress, { snapshotHoldMsMax: 0 });
      assert.ok(checkpoint !== null);
      const { log, checkpointed } = checkpoint as { log: number; checkpointed: number };
      assert.ok(log > 0, "the commits went to the WAL");
      assert.equal(checkpointed, log, "no reader held the checkpoint back");
      assert.equal(report.height, heightAtStart + COMMITTED_DURING_VERIFY, "the replay went on to the head of its last snapshot");
    } finally {
      reader.close();
      writer.store.close();
    }
  });
});
