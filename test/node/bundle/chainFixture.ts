/**
 * A committed chain built straight with the library, without running consensus: blocks of a
 * few real transactions (accounts registered in block 1, then audit appends), each with a
 * real ML-DSA QC signed by a quorum of the genesis validators' keys, written to a home's
 * chain.db. Used by the bundle tests and by bench/sync.ts.
 */
import { buildQc, leaderOf, voteMessage } from "../../../src/consensus/index.ts";
import { addressFromPublicKey, generateSigningKey, signAsync, type SigningKey } from "../../../src/crypto/index.ts";
import { ChainStore, hashTx, type Genesis, type QuorumCertificate, type Tx } from "../../../src/ledger/index.ts";
import { Chain } from "../../../src/node/chain.ts";
import { homePaths } from "../../../src/node/home.ts";
import type { ExecutionTx } from "../../../src/app/index.ts";
import { toHex } from "../../../src/util/index.ts";

export type CertifiedChainOptions = {
  readonly home: string;
  readonly genesis: Genesis;
  /** The validators' signing keys, in genesis order; the first quorum of them signs every QC. */
  readonly keys: readonly SigningKey[];
  readonly blocks: number;
  readonly txsPerBlock: number;
  readonly onProgress?: (height: number) => void;
};

const ACCOUNTS = 4;
/** Blocks built and committed per SQLite transaction. */
const BLOCKS_PER_COMMIT = 256;

type Account = { readonly key: SigningKey; nonce: number };

/** Builds `blocks` blocks on top of the home's chain (fresh or not). */
export async function buildCertifiedChain(opts: CertifiedChainOptions): Promise<void> {
  const { genesis } = opts;
  const store = new ChainStore(homePaths(opts.home).chainDb);
  try {
    const chain = new Chain(genesis, store);
    const accounts: Account[] = Array.from({ length: ACCOUNTS }, () => ({ key: generateSigningKey(), nonce: 0 }));
    const quorum = opts.keys.slice(0, Math.floor((2 * opts.keys.length) / 3) + 1);
    let justify: QuorumCertificate | null = null;
    let turn = 0;
    for (let done = 0; done < opts.blocks; ) {
      const count = Math.min(BLOCKS_PER_COMMIT, opts.blocks - done);
      // Transactions of the whole chunk signed in parallel on the threadpool.
      const intents = Array.from({ length: count }, (_, i) => (chain.head.height + i === 0 ? accounts.map((account) => ({ account, register: true })) : Array.from({ length: opts.txsPerBlock }, () => ({ account: accounts[turn++ % ACCOUNTS] as Account, register: false }))));
      const txs = await Promise.all(intents.map((blockIntents) => Promise.all(blockIntents.map(({ account, register }) => signTx(account, genesis.chainId, register)))));
      // The chunk commits in one transaction (commitBlock joins it): one fsync per chunk.
      const db = store.unsafeDatabase();
      db.exec("BEGIN IMMEDIATE");
      for (const blockTxs of txs) {
        const height = chain.head.height + 1;
        const view = height;
        const proposer = genesis.validators[leaderOf(genesis, view)];
        if (proposer === undefined) throw new Error("chainFixture: a leader exists");
        const block = chain.buildBlock({ txs: blockTxs, proposer: proposer.address, view, timestampMs: genesis.genesisTime + height * 1000, justify, evidence: [] });
        const message = voteMessage(genesis.chainId, view, height, block.hash);
        const signatures = await Promise.all(quorum.map((key) => signAsync(key, message)));
        const qc = buildQc(view, height, block.hash, new Map(signatures.map((signature, i) => [i, signature] as const)), genesis.validators.length);
        chain.commitBlock(block, qc);
        justify = qc;
      }
      db.exec("COMMIT");
      done += count;
      opts.onProgress?.(chain.head.height);
    }
  } finally {
    store.close();
  }
}

async function signTx(account: Account, chainId: string, register: boolean): Promise<ExecutionTx> {
  const { key } = account;
  const common = { chainId, from: addressFromPublicKey(key.alg, key.publicKey), nonce: account.nonce++ };
  const tx: Tx = register
    ? { ...common, type: "account.register", body: { alg: key.alg, publicKey: key.publicKey } }
    : { ...common, type: "audit.append", body: { record: { action: "deploy", subject: "svc", data: { nonce: common.nonce } } } };
  const txHash = hashTx(tx);
  return { signedTx: { tx, sig: await signAsync(key, txHash) }, txHash };
}

/** Block hashes (hex) of a home's store, heights 1..head: two homes hold the same chain iff these are equal. */
export function hashesOf(home: string): string[] {
  const store = new ChainStore(homePaths(home).chainDb);
  try {
    return Array.from({ length: store.headHeight() }, (_, i) => toHex(store.getBlock(i + 1)!.hash));
  } finally {
    store.close();
  }
}
