/**
 * The validator set follows the application (decision 0605): on a PoS chain two of four
 * validators unbond all their stake; at the end of the epoch consensus switches to the other
 * two, which then commit alone — something the genesis set of four could never do with two
 * validators down — and a restarted validator resumes in the new set.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { encodeAmount } from "../../../src/app/index.ts";
import { createEvidence, voteRecord } from "../../../src/consensus/index.ts";
import { addressFromPublicKey, formatAddress, sign } from "../../../src/crypto/index.ts";
import { ChainStore, decodeStoredHeader, hashValidatorSet, signerIndices as signerIndicesOf, verifyQuorumCertificate, voteMessage, type Evidence } from "../../../src/ledger/index.ts";
import { ConsensusStore } from "../../../src/node/consensus/consensusStore.ts";
import { homePaths } from "../../../src/node/home.ts";
import { bytesEqual } from "../../../src/util/index.ts";
import { newAccount, posGenesisExtras, signNext, startCluster, waitFor, type Account, type Cluster } from "./cluster.ts";

const EPOCH_BLOCKS = 4;
const BOND = 1000n;

const posGenesis = posGenesisExtras(BOND, EPOCH_BLOCKS);

/** Two epoch-0 votes of validator `index` for one view on different blocks. */
function doubleVoteOf(cluster: Cluster, index: number): Evidence {
  const { chainId } = cluster.homes.genesis;
  const key = cluster.keys[index]!;
  const vote = (fill: number) => {
    const blockHash = new Uint8Array(32).fill(fill);
    return voteRecord(chainId, { type: "vote", epoch: 0, view: 3, height: 2, blockHash, sender: index, signature: sign(key, voteMessage(chainId, 3, 2, blockHash)) });
  };
  return createEvidence(addressFromPublicKey(key.alg, key.publicKey), vote(1), vote(2));
}

function accountOf(cluster: Cluster, index: number): Account {
  const key = cluster.keys[index]!;
  return { key, address: formatAddress(addressFromPublicKey(key.alg, key.publicKey)), nonce: 0 };
}

async function commit(cluster: Cluster, via: number, tx: { bytes: Uint8Array }): Promise<number> {
  const response = await cluster.client(via).submitTx(tx.bytes, { wait: true, timeoutMs: 30_000 });
  assert.equal(response.status, "committed", JSON.stringify(response));
  return (response as { height: number }).height;
}

describe("consensus follows the application's validator set", () => {
  it("switches to the set left after two validators unbond, which then commits alone and survives a restart", async () => {
    const cluster = await startCluster(4, { genesisExtras: posGenesis, emptyIntervalMs: 100 });
    try {
      const genesisSet = cluster.homes.genesis.validators;
      for (const index of [2, 3]) {
        const account = accountOf(cluster, index);
        await commit(cluster, 0, signNext(account, { type: "account.register" }));
        const validator = addressFromPublicKey(account.key.alg, account.key.publicKey);
        await commit(cluster, 0, signNext(account, { type: "staking.unbond", body: { validator, amount: encodeAmount(BOND) } }));
      }
      // The end of the epoch chooses the next set; every node's engine switches when it commits that block.
      // (Each unbond may land in its own epoch: then there are two switches, 4 → 3 → 2 validators.)
      // Indices alone can match one switch early (4 → 3 keeps 0 and 1 at 0 and 1), so the labels must agree too.
      const epochs = () => cluster.validators.map((v) => v?.host.epoch);
      const switchedToTwo = () => {
        const now = epochs();
        return now.map((e) => e?.selfIndex).join() === [0, 1, null, null].join() && now.every((e) => e?.label === now[0]?.label) ? true : undefined;
      };
      await waitFor("every validator to switch to the two-member set", switchedToTwo, 30_000).catch((err: Error) => assert.fail(`${err.message}: ${JSON.stringify(epochs())}`));
      const switched = cluster.validators.map((v) => v!.host.epoch!);
      const label = switched[0]!.label;
      assert.ok(label > 0 && switched.every((e) => e.label === label), `all switched to the same epoch: ${JSON.stringify(switched)} heights ${cluster.validators.map((v) => v!.chain.head.height)}`);
      const chain0 = cluster.validators[0]!.chain;
      const newSet = chain0.validatorSets.forEpoch(label);
      assert.deepEqual(newSet.set.validators.map((v) => formatAddress(v.address)), genesisSet.slice(0, 2).map((v) => formatAddress(v.address)));

      // An observer that missed blocks (restarted behind) fetches them from the set and follows again.
      await cluster.stop(3);
      const user = newAccount();
      const behind = await commit(cluster, 0, signNext(user, { type: "account.register" }));
      await cluster.start(3);
      assert.deepEqual(cluster.validators[3]!.host.epoch, { label, selfIndex: null });
      const observed = await commit(cluster, 0, signNext(user, { type: "audit.append", record: { action: "observed", data: {} } }));
      await waitFor("the restarted observer to follow the set", () => (cluster.validators[3]!.chain.head.height >= observed ? true : undefined), 20_000);
      assert.ok(bytesEqual(cluster.validators[3]!.chain.store.getBlock(behind)!.hash, cluster.validators[0]!.chain.store.getBlock(behind)!.hash));

      // Two of the four genesis validators can never make a quorum of the genesis set.
      await cluster.stop(3);
      await cluster.stop(2);
      const height = await commit(cluster, 0, signNext(user, { type: "audit.append", record: { action: "two-of-two", data: {} } }));
      assert.ok(height >= label * EPOCH_BLOCKS, "committed in the new set's epoch");
      const row = chain0.store.getBlock(height)!;
      const header = decodeStoredHeader(row.header, height);
      assert.ok(bytesEqual(header.validatorSetHash, hashValidatorSet(newSet.set)), "the header names the new set");
      assert.ok(!bytesEqual(header.validatorSetHash, hashValidatorSet({ validators: genesisSet })));
      const qc = chain0.store.certificate(height);
      verifyQuorumCertificate(qc, newSet.set.validators, cluster.homes.genesis.chainId);
      assert.throws(() => verifyQuorumCertificate(qc, genesisSet, cluster.homes.genesis.chainId), /quorum|signer/i, "two signatures are no quorum of the genesis four");
      // The block before the switch was certified by the previous set, which still had more members.
      const boundary = label * EPOCH_BLOCKS - 1;
      const previousSet = chain0.validatorSets.forHeight(boundary).set;
      assert.ok(previousSet.validators.length > 2);
      verifyQuorumCertificate(chain0.store.certificate(boundary), previousSet.validators, cluster.homes.genesis.chainId);

      // A restarted member derives the running set from its store and rejoins it. Evidence of the
      // genesis set's epoch it still held (never committed) cannot be carried any more: dropped.
      await cluster.stop(1);
      const stale = doubleVoteOf(cluster, 2);
      const store1 = new ChainStore(homePaths(cluster.homes.homes[1]!.home).chainDb);
      // The label memo a restart starts its walk from: the newest committed epoch, in the new set's run.
      const memo = new ConsensusStore(store1).loadEpochLabel();
      assert.ok(memo !== null);
      assert.deepEqual({ epoch: memo.epoch, label: memo.label }, { epoch: Math.floor(store1.headHeight() / EPOCH_BLOCKS), label });
      assert.ok(bytesEqual(memo.setHash, hashValidatorSet(newSet.set)));
      new ConsensusStore(store1).saveEvidence(stale);
      store1.close();
      await cluster.start(1);
      assert.deepEqual(cluster.validators[1]!.chain.store.pendingEvidence().map((row) => row.key), [], "old-epoch evidence is dropped at start");
      assert.deepEqual(cluster.validators[1]!.host.epoch, { label, selfIndex: 1 });
      await waitFor("the restarted validator to catch up", () => (cluster.validators[1]!.chain.head.height >= height ? true : undefined), 20_000);
      const after = await commit(cluster, 1, signNext(user, { type: "audit.append", record: { action: "after-restart", data: {} } }));
      await waitFor("validator 0 to reach the same height", () => (chain0.head.height >= after ? true : undefined), 20_000);
      assert.ok(bytesEqual(chain0.store.getBlock(after)!.hash, cluster.validators[1]!.chain.store.getBlock(after)!.hash));
    } finally {
      await cluster.close();
    }
  });

  it("lets a validator outside genesis follow as an observer, bond, and sign from the next epoch on", async () => {
    const cluster = await startCluster(4, { genesisExtras: posGenesis, emptyIntervalMs: 100, extraNodes: 1 });
    try {
      const joinerNode = await cluster.start(4);
      assert.deepEqual(joinerNode.host.epoch, { label: 0, selfIndex: null }, "outside the genesis set it observes");
      const funder = accountOf(cluster, 0);
      const joiner = accountOf(cluster, 4);
      const joinerAddress = addressFromPublicKey(joiner.key.alg, joiner.key.publicKey);
      await commit(cluster, 0, signNext(funder, { type: "account.register" }));
      await commit(cluster, 0, signNext(funder, { type: "token.transfer", to: joinerAddress, amount: 10_000n }));
      await commit(cluster, 4, signNext(joiner, { type: "account.register" }));
      // Three times a genesis validator's stake: with it, validators 0 and 1 make a quorum of the five.
      await commit(cluster, 4, signNext(joiner, { type: "staking.bond", body: { amount: encodeAmount(3n * BOND) } }));
      await waitFor("the joiner to become a member", () => (cluster.validators[4]?.host.epoch?.selfIndex === 4 ? true : undefined), 30_000);
      const label = cluster.validators[4]!.host.epoch!.label;
      // Validators 0 and 1 run that set too before 2 and 3 stop, so the commit below is the new set's from its first view, not a race with their switch.
      await waitFor("validators 0 and 1 to switch as well", () => ([0, 1].every((i) => cluster.validators[i]?.host.epoch?.label === label) ? true : undefined), 30_000);
      const chain4 = cluster.validators[4]!.chain;
      assert.equal(chain4.validatorSets.forEpoch(label).set.validators.length, 5);

      // Validators 0 and 1 alone hold too little power; with the joiner they commit.
      await cluster.stop(3);
      await cluster.stop(2);
      const height = await commit(cluster, 4, signNext(joiner, { type: "audit.append", record: { action: "joined", data: {} } }));
      const qc = chain4.store.certificate(height);
      const set = chain4.validatorSets.forHeight(height).set;
      verifyQuorumCertificate(qc, set.validators, cluster.homes.genesis.chainId);
      const signerIndices = signerIndicesOf(qc.signers, set.validators.length);
      assert.ok(signerIndices.includes(4), "the joiner's signature is in the certificate");
      assert.ok(!signerIndices.includes(2) && !signerIndices.includes(3));
    } finally {
      await cluster.close();
    }
  });
});
