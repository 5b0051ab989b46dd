/** The chain commits each block with its state version in one transaction; the header's stateRoot is the tree root. */
import { VALIDATOR_SET_KEY } from "../../src/app/index.ts";
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { accountKey, accountNonceKey } from "../../src/app/index.ts";
import { encodeCanonical } from "../../src/codec/index.ts";
import { ChainStore } from "../../src/ledger/index.ts";
import { Chain } from "../../src/node/chain.ts";
import { stateEmptyRoot, verifyStateProof, type StateStore } from "../../src/state/index.ts";
import { isGhostmeshError, toHex } from "../../src/util/index.ts";
import { buildOnHead, fakeAccount, fakeGenesis, fakeQc, fakeTx, openMemoryChain } from "./stateHelpers.ts";

const dir = mkdtempSync(join(tmpdir(), "gm-chain-state-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("the genesis state is version 0 (the PoA validator set), and each header's stateRoot is the root of its state version, proving its accounts", () => {
  const chain = openMemoryChain();
  assert.equal(chain.state.latestVersion, 0);
  assert.notEqual(toHex(chain.head.stateRoot), toHex(stateEmptyRoot()));
  const genesisSet = chain.state.prove(VALIDATOR_SET_KEY, 0);
  assert.ok(genesisSet.value !== null && verifyStateProof(chain.head.stateRoot, VALIDATOR_SET_KEY, genesisSet.value, genesisSet.proof), "the genesis validator set is proven by the genesis root");
  const built = buildOnHead(chain, [fakeTx({ account: 0, kind: "register", nonce: 0 }, 1), fakeTx({ account: 1, kind: "register", nonce: 0 }, 2)]);
  chain.commitBlock(built, fakeQc(built));
  const empty = buildOnHead(chain, []);
  chain.commitBlock(empty, fakeQc(empty));
  assert.equal(chain.state.latestVersion, 2);
  assert.equal(toHex(chain.state.root(1)), toHex(built.block.header.stateRoot));
  assert.equal(toHex(empty.block.header.stateRoot), toHex(built.block.header.stateRoot), "a block without state writes keeps the root");
  const key = accountKey(fakeAccount(0).address);
  const proven = chain.state.prove(key, 2);
  const account = chain.accounts.getAccount(fakeAccount(0).address)!;
  assert.equal(toHex(proven.value!), toHex(encodeCanonical({ alg: account.alg, publicKey: account.publicKey })));
  const nonceKey = accountNonceKey(fakeAccount(0).address);
  const nonce = chain.state.prove(nonceKey, 2);
  assert.equal(toHex(nonce.value!), toHex(encodeCanonical(1)));
  assert.ok(verifyStateProof(empty.block.header.stateRoot, nonceKey, nonce.value, nonce.proof));
  assert.ok(verifyStateProof(empty.block.header.stateRoot, key, proven.value, proven.proof));
  const absent = chain.state.prove(accountKey(fakeAccount(3).address), 2);
  assert.equal(absent.value, null);
  assert.ok(verifyStateProof(empty.block.header.stateRoot, accountKey(fakeAccount(3).address), null, absent.proof));
});

test("a commit that fails while writing the state leaves neither the block nor its state, and the block commits on retry", () => {
  const path = join(dir, "rollback.db");
  const chain = new Chain(fakeGenesis(), new ChainStore(path));
  const first = buildOnHead(chain, [fakeTx({ account: 0, kind: "register", nonce: 0 }, 1)]);
  chain.commitBlock(first, fakeQc(first));
  const built = buildOnHead(chain, [fakeTx({ account: 1, kind: "register", nonce: 0 }, 2), fakeTx({ account: 0, kind: "append", nonce: 1 }, 3)]);
  const state = chain.state as { apply: StateStore["apply"] };
  const apply = state.apply;
  // The crash point: block rows are written, the state rows are not.
  state.apply = () => {
    throw new Error("disk full while writing state_nodes");
  };
  assert.throws(() => chain.commitBlock(built, fakeQc(built)), /disk full/);
  state.apply = apply;
  assert.equal(chain.store.headHeight(), 1);
  assert.equal(chain.head.height, 1);
  assert.equal(chain.state.latestVersion, 1);
  assert.equal(chain.store.txsOfBlock(2).length, 0);
  assert.equal(chain.accounts.getAccount(fakeAccount(1).address), undefined);
  // Inside a caller's transaction (the consensus host's step) the whole step rolls back too.
  assert.throws(() =>
    chain.store.transaction(() => {
      chain.commitBlock(built, fakeQc(built));
      throw new Error("crash after the commit, before the step's other writes");
    }),
  );
  assert.equal(chain.store.headHeight(), 1);
  assert.equal(chain.state.latestVersion, 1);
  chain.store.close();

  const reopened = new Chain(fakeGenesis(), new ChainStore(path));
  assert.equal(reopened.head.height, 1);
  const retry = buildOnHead(reopened, [fakeTx({ account: 1, kind: "register", nonce: 0 }, 2), fakeTx({ account: 0, kind: "append", nonce: 1 }, 3)]);
  assert.equal(toHex(retry.block.header.stateRoot), toHex(built.block.header.stateRoot));
  reopened.commitBlock(retry, fakeQc(retry));
  assert.equal(reopened.state.latestVersion, 2);
  reopened.store.close();
  const again = new Chain(fakeGenesis(), new ChainStore(path));
  assert.equal(toHex(again.head.stateRoot), toHex(again.state.root()));
  again.store.close();
});

test("a store with blocks but no state tree (written before state roots were tree roots) is refused with a clear error", () => {
  const path = join(dir, "old.db");
  const chain = new Chain(fakeGenesis(), new ChainStore(path));
  const built = buildOnHead(chain, []);
  chain.commitBlock(built, fakeQc(built));
  const db = chain.store.unsafeDatabase();
  db.exec("DROP TABLE state_versions; DROP TABLE state_nodes; DROP TABLE state_values; DROP TABLE state_schema;");
  chain.store.close();
  assert.throws(
    () => new Chain(fakeGenesis(), new ChainStore(path)),
    (err: unknown) => isGhostmeshError(err) && err.code === "NODE_STORE_STATE_MISSING" && /recreate this node's data directory/.test(err.message),
  );
});

test("a state tree out of step with the head is refused when the chain opens", () => {
  const path = join(dir, "skew.db");
  const chain = new Chain(fakeGenesis(), new ChainStore(path));
  const built = buildOnHead(chain, [fakeTx({ account: 0, kind: "register", nonce: 0 }, 1)]);
  chain.commitBlock(built, fakeQc(built));
  chain.store.unsafeDatabase().exec("DELETE FROM state_versions WHERE version = 1");
  chain.store.close();
  assert.throws(() => new Chain(fakeGenesis(), new ChainStore(path)), (err: unknown) => isGhostmeshError(err) && err.code === "NODE_STORE_CORRUPT" && /state tree is at version 0/.test(err.message));
});
