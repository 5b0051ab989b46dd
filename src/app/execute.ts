/**
 * The deterministic application state machine: executes a block's transactions against
 * account state and produces the log entries, the account writes and the next version of
 * the authenticated state tree (whose root the header commits to, docs/decisions/0400).
 *
 * Precondition: every transaction passed stateless validation (schema, chain id, signature,
 * batch root) — see ledger/validate.ts. Execution checks only what depends on state.
 */
import { addressFromPublicKey } from "../crypto/index.ts";
import { encodeCanonical, type CborValue } from "../codec/index.ts";
import type { LogEntry, SignedTx } from "../ledger/index.ts";
import type { PreparedStateUpdate, StateWrite } from "../state/index.ts";
import { accountStateWrites } from "./accounts.ts";
import { assert, bytesEqual, compareBytes, toHex } from "../util/index.ts";
import { encodeBatchEntries } from "./entryBytes.ts";
import { BlockState } from "./blockState.ts";
import { applyModuleTx } from "./modules.ts";
import { endBlock } from "./endBlock.ts";
import { epochOf, readModuleParams } from "./params.ts";
import type { BlockContext, TxContext } from "./context.ts";
import type { Account, AccountReader, AccountWrite, BlockExecution, ExecutedTx, TxRejection } from "./types.ts";

export type ExecutionTx = {
  readonly signedTx: SignedTx;
  readonly txHash: Uint8Array;
  /**
   * For audit.batch, optionally: encodeCanonical(records[i]) for each record, as admission
   * already has them (ledger DecodedTx.recordBytes). Absent, execution encodes the records.
   */
  readonly recordBytes?: readonly Uint8Array[];
  /** Optionally: encodeCanonical({tx, sig}), the bytes the store keeps, when the caller has them. */
  readonly signedTxBytes?: Uint8Array;
};

export type BlockExecutionInput = {
  readonly height: number;
  /** Log size before this block. */
  readonly logSize: number;
  readonly txs: readonly ExecutionTx[];
  /**
   * Prepares the state version of this block from its writes on top of the state the block
   * executes on (the StateStore, possibly over uncommitted parents); its root is the header's
   * stateRoot. Called once per execution.
   */
  readonly prepareState: (writes: readonly StateWrite[]) => PreparedStateUpdate;
  /** Evidence, parent signers, proposer: what staking and governance read besides the transactions. */
  readonly context: BlockContext;
};

type Rejected = { code: string; message: string };

/** Overlay of this block's writes on top of the reader. */
class AccountOverlay {
  readonly writes = new Map<string, AccountWrite>();
  readonly reader: AccountReader;
  constructor(reader: AccountReader) {
    this.reader = reader;
  }
  get(address: Uint8Array): Account | undefined {
    return this.writes.get(toHex(address))?.account ?? this.reader.getAccount(address);
  }
  /** `created`: registered by this block (kept when a later transaction of the block bumps the nonce). */
  set(address: Uint8Array, account: Account, created: boolean): void {
    const addressHex = toHex(address);
    this.writes.set(addressHex, { address, account, created: created || this.writes.get(addressHex)?.created === true });
  }
}

export function executeBlock(reader: AccountReader, input: BlockExecutionInput): BlockExecution {
  const overlay = new AccountOverlay(reader);
  const moduleState = new BlockState((key) => reader.readState?.(key), reader.stateHistory);
  const executed: ExecutedTx[] = [];
  const rejected: TxRejection[] = [];
  const entries: LogEntry[] = [];
  const entryBytes: Uint8Array[] = [];

  const epochBlocks = readModuleParams((key) => moduleState.get(key), "chain").epochBlocks;
  const txContext: TxContext = { height: input.height, epoch: epochOf(input.height, epochBlocks), getAccount: (address) => overlay.get(address) };

  for (let index = 0; index < input.txs.length; index++) {
    const item = input.txs[index];
    assert(item !== undefined, "executeBlock: tx index in range");
    const firstLeaf = input.logSize + entries.length;
    const problem = applyTx(overlay, moduleState, item, txContext);
    if (problem) {
      moduleState.discardTx();
      rejected.push({ index, ...problem });
      continue;
    }
    moduleState.commitTx();
    const txEntries = entriesOfTx(input.height, item.txHash, item.signedTx);
    appendEntries(txEntries, item, entries, entryBytes);
    executed.push({ signedTx: item.signedTx, txHash: item.txHash, firstLeaf, leafCount: txEntries.length, ...(item.signedTxBytes === undefined ? {} : { signedTxBytes: item.signedTxBytes }) });
  }

  // The end of the block (slashing, epoch rewards, tallies) cannot be refused: it is the protocol's own step.
  endBlock(moduleState, { ...txContext, ...input.context, epochEnds: (input.height + 1) % epochBlocks === 0 });
  moduleState.commitTx();

  const accountWrites = [...overlay.writes.values()].sort((a, b) => compareBytes(a.address, b.address));
  // Account keys (0x01, 0x02) and module keys (0x03-0x06) never overlap.
  const stateWrites = [...accountStateWrites(accountWrites), ...moduleState.writes()];
  // Deletions (an emergency rollback's) reach the state tree as value null; stateWrites keeps values only.
  const stateDeletes = moduleState.deletions();
  const stateUpdate = input.prepareState([...stateWrites, ...stateDeletes.map((key) => ({ key, value: null }))]);
  assert(stateUpdate.version === input.height && stateUpdate.writeCount === stateWrites.length + stateDeletes.length, "executeBlock: the state version is this block's, with its writes");
  assert(entries.length === entryBytes.length, "executeBlock: one encoding per entry");
  return { executed, rejected, entries, entryBytes, accountWrites, stateWrites, stateDeletes, stateUpdate, stateRoot: stateUpdate.root };
}

/**
 * Appends the tx's entries and their canonical bytes. A batch's entries share every field
 * but the record and its index, so they are assembled from the records' bytes (entryBytes.ts).
 */
function appendEntries(txEntries: readonly LogEntry[], item: ExecutionTx, entries: LogEntry[], entryBytes: Uint8Array[]): void {
  const first = txEntries[0];
  assert(first !== undefined, "appendEntries: a transaction has at least one entry");
  if (first.type !== "audit.batch") {
    for (const entry of txEntries) {
      entries.push(entry);
      entryBytes.push(encodeCanonical(entry));
    }
    return;
  }
  const recordBytes = item.recordBytes ?? txEntries.map((entry) => encodeCanonical(entry.record));
  assert(recordBytes.length === txEntries.length, "appendEntries: one encoding per record");
  const encoded = encodeBatchEntries(first, recordBytes);
  for (let i = 0; i < txEntries.length; i++) {
    entries.push(txEntries[i] as LogEntry);
    entryBytes.push(encoded[i] as Uint8Array);
  }
}

/** Applies one transaction to the overlay, or says why it cannot be applied. */
function applyTx(overlay: AccountOverlay, moduleState: BlockState, item: ExecutionTx, context: TxContext): Rejected | undefined {
  const { tx } = item.signedTx;
  const account = overlay.get(tx.from);
  if (tx.type === "account.register") {
    if (account) return { code: "APP_ACCOUNT_EXISTS", message: `account ${toHex(tx.from)} is already registered` };
    if (!bytesEqual(addressFromPublicKey(tx.body.alg, tx.body.publicKey), tx.from)) {
      return { code: "APP_ADDRESS_MISMATCH", message: "from is not the address of the registered public key" };
    }
    if (tx.nonce !== 0) return { code: "APP_BAD_NONCE", message: `registration must carry nonce 0, got ${tx.nonce}` };
    overlay.set(tx.from, { alg: tx.body.alg, publicKey: tx.body.publicKey, nonce: 1 }, true);
    return undefined;
  }
  if (!account) return { code: "APP_UNKNOWN_ACCOUNT", message: `account ${toHex(tx.from)} is not registered` };
  if (tx.nonce !== account.nonce) {
    return { code: "APP_BAD_NONCE", message: `expected nonce ${account.nonce}, got ${tx.nonce}` };
  }
  const refused = applyModuleTx(moduleState, tx, item.txHash, context);
  if (refused) return refused;
  overlay.set(tx.from, { ...account, nonce: account.nonce + 1 }, false);
  return undefined;
}

export function entriesOfTx(height: number, txHash: Uint8Array, signedTx: SignedTx): LogEntry[] {
  const { tx } = signedTx;
  const base = { height, txHash, from: tx.from, type: tx.type };
  switch (tx.type) {
    case "account.register":
      return [{ ...base, recordIndex: 0, record: { alg: tx.body.alg, publicKey: tx.body.publicKey } }];
    case "audit.append":
      return [{ ...base, recordIndex: 0, record: tx.body.record }];
    case "audit.batch": {
      const records = signedTx.records;
      assert(records !== undefined && records.length === tx.body.recordCount, "entriesOfTx: batch validated");
      return records.map((record, recordIndex) => ({ ...base, recordIndex, record }));
    }
    default:
      // Module transactions: the body is the record, so the log shows who moved what, who
      // changed which authority, who proposed, voted or promoted what.
      return [{ ...base, recordIndex: 0, record: tx.body as unknown as CborValue }];
  }
}

/** The action an entry is filed under in the store's index; only audit records have one. */
export function entryAction(entry: LogEntry): string | null {
  return entry.type === "audit.append" || entry.type === "audit.batch" ? (entry.record as { action: string }).action : null;
}
