/**
 * The validator set of any epoch, verified from the genesis file alone (decision 0605). Epoch 0
 * is the genesis set. The set of epoch e ≥ 1 is what the state after block e·E − 1 describes;
 * that block's QC is signed by the set of epoch e − 1, already verified, so a client walks
 * epoch by epoch: verify the boundary block's QC, verify state proofs of the keys the next set
 * is computed from against its stateRoot, then compute the set with the node's own function
 * (validatorSetFromState). A key the node sent no proof for is an error, never "absent":
 * absence changes the result (a member without an account record falls back to its genesis key).
 */
import { createAccountReader, epochBlocksOf, epochOf, genesisStateWrites, validatorSetFromState, type ValidatorSetReader } from "../app/index.ts";
import { blockHeaderSchema, hashValidatorSet, type BlockHeader, type Genesis, type ValidatorSet } from "../ledger/index.ts";
import { decodeWith } from "../codec/index.ts";
import { GhostmeshError, bytesEqual, fromHexOrUndefined, toHex } from "../util/index.ts";
import type { CertifiedBlockJson, CheckpointResponse, EpochValidatorSetJson, ValidatorSetsResponse } from "./client.ts";
import { verifyBlockResponse, verifyCheckpoint, verifyStateProofResponse } from "./verify.ts";

export type VerifiedValidatorSet = { readonly epoch: number; readonly set: ValidatorSet; readonly hash: Uint8Array };

/** What the walk asks a node for (GhostmeshClient has it; tests wrap it to tamper). */
export type ValidatorSetSource = { validatorSets(fromEpoch: number, toEpoch?: number): Promise<ValidatorSetsResponse> };

/** Verified sets kept by one walk besides the latest: callers ask for one or two heights. */
const WALK_SETS_CACHED_MAX = 16;

function fail(message: string, meta: Record<string, unknown> = {}): never {
  throw new GhostmeshError("CLIENT_VERIFY_FAILED", message, meta);
}

/** Blocks per epoch as the genesis file fixes it (chain.epochBlocks of its state version 0). */
export function epochBlocksOfGenesis(genesis: Genesis): number {
  const state = new Map(genesisStateWrites(genesis).map((write) => [toHex(write.key), write.value]));
  return epochBlocksOf((key) => state.get(toHex(key)));
}

/** A reader over proven values only: a read of a key without a proof throws. */
function provenReader(values: ReadonlyMap<string, Uint8Array | null>, epoch: number, height: number): ValidatorSetReader {
  const readState = (key: Uint8Array): Uint8Array | undefined => {
    const hex = toHex(key);
    if (!values.has(hex)) fail(`the node sent no proof of state key ${hex} after block ${height}, which the validator set of epoch ${epoch} depends on`, { epoch, height });
    return values.get(hex) ?? undefined;
  };
  return createAccountReader(readState);
}

function verifiedBoundaryHeader(block: CertifiedBlockJson, previous: VerifiedValidatorSet, chainId: string, epoch: number): BlockHeader {
  let header: BlockHeader;
  try {
    header = verifyBlockResponse(block, previous.set.validators, chainId);
  } catch (err) {
    fail(`epoch ${epoch}: block ${block.height}, the last of epoch ${previous.epoch}, is not certified by the validator set of epoch ${previous.epoch}: ${(err as Error).message}`, { epoch, height: block.height });
  }
  if (!bytesEqual(header.validatorSetHash, previous.hash)) {
    fail(`epoch ${epoch}: block ${header.height} names validator set ${toHex(header.validatorSetHash)}, but the set of epoch ${previous.epoch} verified from genesis is ${toHex(previous.hash)}`, { epoch, height: header.height });
  }
  return header;
}

/**
 * The set of `item.epoch` from the set of the epoch before it (verified) and the node's
 * derivation. Checks that the node's claimed hash is the one computed here.
 */
export function verifyNextValidatorSet(genesis: Genesis, epochBlocks: number, previous: VerifiedValidatorSet, item: EpochValidatorSetJson): VerifiedValidatorSet {
  const epoch = previous.epoch + 1;
  const height = epoch * epochBlocks - 1;
  if (item.epoch !== epoch) fail(`expected the validator set of epoch ${epoch}, the node sent epoch ${item.epoch}`, { epoch });
  const derivation = item.derivedFrom ?? fail(`epoch ${epoch}: the node sent no derivation of the set`, { epoch });
  if (derivation.height !== height || derivation.block.height !== height) fail(`epoch ${epoch}: the set comes from the state after block ${height}, the node sent block ${derivation.block.height}`, { epoch, height });
  const header = verifiedBoundaryHeader(derivation.block, previous, genesis.chainId, epoch);
  const values = new Map<string, Uint8Array | null>();
  for (const proof of derivation.proofs) {
    if (proof.height !== height) fail(`epoch ${epoch}: a state proof is for height ${proof.height}, not ${height}`, { epoch, height });
    try {
      verifyStateProofResponse(proof, header.stateRoot);
    } catch (err) {
      fail(`epoch ${epoch}: ${(err as Error).message}`, { epoch, height });
    }
    // verifyStateProofResponse checked the hex; the reader looks keys up in lowercase.
    const key = toHex(fromHexOrUndefined(proof.key) as Uint8Array);
    // Both proofs verified, so they agree; a repeated key is only refused to keep the answer exact.
    if (values.has(key)) fail(`epoch ${epoch}: key ${key} is proven twice`, { epoch, height });
    values.set(key, proof.value === null ? null : (fromHexOrUndefined(proof.value) as Uint8Array));
  }
  const set = validatorSetFromState(genesis, provenReader(values, epoch, height)) ?? previous.set;
  const hash = hashValidatorSet(set);
  if (item.hash !== toHex(hash)) {
    fail(`epoch ${epoch}: the node reports validator set ${item.hash}, but the proven state after block ${height} gives ${toHex(hash)}`, { epoch, height });
  }
  return { epoch, set, hash };
}

/**
 * Walks and verifies validator sets from genesis for one caller; verified sets are cached in
 * the instance, so asking for a checkpoint and then a block of the same epoch walks once.
 */
export class ValidatorSetWalk {
  readonly genesis: Genesis;
  readonly epochBlocks: number;
  private readonly source: ValidatorSetSource;
  private readonly verified = new Map<number, VerifiedValidatorSet>();
  private latest: VerifiedValidatorSet;

  /**
   * `trusted`: a set this client verified from the same genesis before (the CLI keeps the newest
   * in a file), so walks to later epochs start there. Epochs before it are walked from genesis.
   */
  constructor(source: ValidatorSetSource, genesis: Genesis, trusted: VerifiedValidatorSet | null = null) {
    this.source = source;
    this.genesis = genesis;
    this.epochBlocks = epochBlocksOfGenesis(genesis);
    const set = { validators: genesis.validators };
    this.latest = { epoch: 0, set, hash: hashValidatorSet(set) };
    this.verified.set(0, this.latest);
    if (trusted !== null && trusted.epoch > 0) this.remember(trusted);
  }

  /** The highest epoch whose set this walk holds (verified, or trusted at construction). */
  get newest(): VerifiedValidatorSet {
    return this.latest;
  }

  epochOf(height: number): number {
    return epochOf(height, this.epochBlocks);
  }

  /** The set that signs the block (and the QC) at `height`. */
  forHeight(height: number): Promise<VerifiedValidatorSet> {
    return this.forEpoch(this.epochOf(height));
  }

  async forEpoch(epoch: number): Promise<VerifiedValidatorSet> {
    const cached = this.verified.get(epoch);
    if (cached !== undefined) return cached;
    let current = this.latest.epoch < epoch ? this.latest : (this.verified.get(0) as VerifiedValidatorSet);
    while (current.epoch < epoch) {
      const page = await this.source.validatorSets(current.epoch + 1, epoch);
      if (page.epochBlocks !== this.epochBlocks) fail(`the node counts ${page.epochBlocks} blocks per epoch; the genesis file says ${this.epochBlocks} (another chain?)`);
      const items = page.sets.filter((item) => item.epoch <= epoch);
      if (items.length === 0) fail(`the node sent no validator set for epoch ${current.epoch + 1} (its latest is epoch ${page.latestEpoch})`, { epoch: current.epoch + 1 });
      for (const item of items) current = this.remember(verifyNextValidatorSet(this.genesis, this.epochBlocks, current, item));
    }
    return current;
  }

  private remember(entry: VerifiedValidatorSet): VerifiedValidatorSet {
    if (entry.epoch > this.latest.epoch) this.latest = entry;
    // Epoch 0 stays: a walk to an epoch below the latest restarts from it.
    if (this.verified.size >= WALK_SETS_CACHED_MAX) {
      const oldest = [...this.verified.keys()].find((e) => e !== 0 && e !== this.latest.epoch);
      if (oldest !== undefined) this.verified.delete(oldest);
    }
    this.verified.set(entry.epoch, entry);
    return entry;
  }
}

function checkHeaderNamesSet(header: BlockHeader, verified: VerifiedValidatorSet, what: string): void {
  if (!bytesEqual(header.validatorSetHash, verified.hash)) {
    fail(`${what} at height ${header.height} names validator set ${toHex(header.validatorSetHash)}, but the set of epoch ${verified.epoch} verified from genesis is ${toHex(verified.hash)}`, { height: header.height, epoch: verified.epoch });
  }
}

/** Runs a certificate check, naming the epoch whose set it used when it fails. */
function certifiedBy<T>(verified: VerifiedValidatorSet, height: number, what: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    // Only the quorum check depends on the set; other failures (hash, chain id) speak for themselves.
    if (!(err instanceof GhostmeshError) || !err.code.startsWith("LEDGER_QC_")) throw err;
    const code = err.code;
    fail(`${what} at height ${height} is not certified by the validator set of epoch ${verified.epoch} (${verified.set.validators.length} validators, verified from genesis): ${(err as Error).message}`, { height, epoch: verified.epoch, cause: code });
  }
}

/** verifyCheckpoint against the set of the checkpoint's epoch (from its signed header's height), walked from genesis. */
export async function verifyCheckpointFromGenesis(walk: ValidatorSetWalk, checkpoint: CheckpointResponse): Promise<{ header: BlockHeader; validatorSet: VerifiedValidatorSet }> {
  const header = decodeWith(blockHeaderSchema, fromHexOrUndefined(checkpoint.header) ?? fail("checkpoint.header is not hex"), "checkpoint.header");
  const validatorSet = await walk.forHeight(header.height);
  certifiedBy(validatorSet, header.height, "checkpoint", () => verifyCheckpoint(checkpoint, validatorSet.set.validators, walk.genesis.chainId));
  checkHeaderNamesSet(header, validatorSet, "checkpoint");
  return { header, validatorSet };
}

/** verifyBlockResponse against the set of the block's epoch, walked from genesis. */
export async function verifyBlockFromGenesis(walk: ValidatorSetWalk, block: CertifiedBlockJson): Promise<{ header: BlockHeader; validatorSet: VerifiedValidatorSet }> {
  const validatorSet = await walk.forHeight(block.height);
  const header = certifiedBy(validatorSet, block.height, "block", () => verifyBlockResponse(block, validatorSet.set.validators, walk.genesis.chainId));
  checkHeaderNamesSet(header, validatorSet, "block");
  return { header, validatorSet };
}
