/** Executes blocks of module transactions on an in-memory state tree, as a node would (test helper). */
import { DatabaseSync } from "node:sqlite";
import { addressFromPublicKey, type SigningKey } from "../../src/crypto/index.ts";
import { executeBlock, genesisStateWrites, stateStoreHistory, type Account, type AccountReader, type BlockContext, type BlockExecution } from "../../src/app/index.ts";
import { hashTx, type Genesis, type SignedTx, type Tx } from "../../src/ledger/index.ts";
import { openStateStore, type StateStore } from "../../src/state/index.ts";
import { toHex } from "../../src/util/index.ts";

export const chainId = "app-test";

export type GenesisExtras = Partial<Pick<Genesis, "allocations" | "roles" | "policies" | "validators" | "mode" | "bonds" | "params">>;

/** A block with no evidence, proposed by nobody in particular, whose parent is genesis. */
export const emptyBlockContext: BlockContext = { evidence: [], parentSigners: null, validators: [], proposer: new Uint8Array(20) };

export class AppHarness {
  readonly store: StateStore = openStateStore(new DatabaseSync(":memory:"));
  readonly accounts = new Map<string, Account>();
  height = 0;

  constructor(extras: GenesisExtras = {}) {
    this.store.apply(this.store.prepare(0, genesisStateWrites({ chainId, genesisTime: 0, validators: [], ...extras })));
  }

  reader(): AccountReader {
    return {
      getAccount: (address) => this.accounts.get(toHex(address)),
      readState: (key) => this.store.get(key) ?? undefined,
      // The store keeps every version (nothing prunes it): past states for an emergency rollback.
      stateHistory: stateStoreHistory(this.store),
    };
  }

  /** Puts a registered account in place (execution does not check the sender's signature: admission does). */
  register(key: SigningKey): Uint8Array {
    const address = addressFromPublicKey(key.alg, key.publicKey);
    this.accounts.set(toHex(address), { alg: key.alg, publicKey: key.publicKey, nonce: 1 });
    return address;
  }

  /** A registered account without a real key, for transfers. */
  registerFake(seed: number): Uint8Array {
    const address = new Uint8Array(20).fill(seed);
    this.accounts.set(toHex(address), { alg: 1, publicKey: new Uint8Array(32).fill(seed), nonce: 1 });
    return address;
  }

  nonce(address: Uint8Array): number {
    return this.accounts.get(toHex(address))?.nonce ?? 0;
  }

  get = (key: Uint8Array): Uint8Array | undefined => this.store.get(key) ?? undefined;

  /** Executes and applies one block. */
  run(signedTxs: readonly SignedTx[], context: BlockContext = emptyBlockContext): BlockExecution {
    const height = ++this.height;
    const txs = signedTxs.map((signedTx) => ({ signedTx, txHash: hashTx(signedTx.tx) }));
    const execution = executeBlock(this.reader(), { height, logSize: 0, txs, prepareState: (writes) => this.store.prepare(height, writes), context });
    this.store.apply(execution.stateUpdate);
    for (const write of execution.accountWrites) this.accounts.set(toHex(write.address), write.account);
    return execution;
  }
}

/** A transaction signed with a placeholder: execution's precondition is that admission verified the signature. */
export function unsigned(tx: Tx): SignedTx {
  return { tx, sig: new Uint8Array([1]) };
}
