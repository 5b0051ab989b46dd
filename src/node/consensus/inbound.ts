/**
 * Work done on a consensus message before it reaches the engine, off the engine's ordered
 * path: decoding (a malformed frame is dropped here), fixing the sender of unsigned messages
 * to the link it came from, and verifying every signature it carries on the threadpool
 * (verifyAsync): the consensus signatures prime the engine's caching verifier, and a
 * block's transaction signatures fill the application's cache, so the engine's synchronous
 * checks are cache hits and the event loop never verifies in bulk (DESIGN §6).
 */
import { verifyAsync } from "../../crypto/index.ts";
import { decodeConsensusMessage, isUnsignedMessage, signatureChecksOf, type CachingVerifier, type ConsensusMessage, type VoteMessageOf } from "../../consensus/index.ts";
import type { Block, Validator } from "../../ledger/index.ts";
import { toHex } from "../../util/index.ts";
import type { Chain } from "../chain.ts";
import type { LedgerApplication } from "./ledgerApp.ts";
import type { TxKey } from "./txChecks.ts";

export type InboundModules = {
  readonly chain: Chain;
  readonly app: LedgerApplication;
  readonly verifier: CachingVerifier;
  /** The set the message's signatures are checked against: the running engine's. */
  readonly validators: readonly Validator[];
  /** The running engine's memo of voteMessage (the engine checks the same messages next). */
  readonly voteMessageOf?: VoteMessageOf;
};

/** Decodes a frame; null (and why) when it is not a consensus message. */
export function decodeFrame(from: number, bytes: Uint8Array): { readonly message: ConsensusMessage } | { readonly problem: string } {
  let message: ConsensusMessage;
  try {
    message = decodeConsensusMessage(bytes);
  } catch (err) {
    return { problem: (err as Error).message };
  }
  // Unsigned messages name their sender; only the link can vouch for it (types.ts).
  if (isUnsignedMessage(message)) message = { ...message, sender: from };
  return { message };
}

/** Verifies every signature the engine and the application will check in `message`. */
export async function verifyAhead(message: ConsensusMessage, modules: InboundModules): Promise<void> {
  const blocks = message.type === "proposal" ? [message.block] : message.type === "blockResponse" ? message.blocks : [];
  await Promise.all([verifyConsensusSignaturesAhead(message, modules), ...blocks.map((block) => verifyBlockTxsAhead(block, modules))]);
}

/**
 * Verifies the consensus signatures in `message` (the engine's checks) and primes the caching
 * verifier, except those whose verdict it has: a proposal's QC is mostly the votes this
 * validator already checked as they arrived (votes go to everyone) and its own, primed when signed.
 */
export async function verifyConsensusSignaturesAhead(message: ConsensusMessage, modules: Pick<InboundModules, "chain" | "verifier" | "validators" | "voteMessageOf">): Promise<void> {
  const { chain, verifier, validators, voteMessageOf } = modules;
  const unknown = signatureChecksOf(message, chain.genesis.chainId, validators.length, voteMessageOf).filter((check) => !verifier.isKnown(check.validatorIndex, check.message, check.signature));
  await Promise.all(
    unknown.map(async (check) => {
      const validator: Validator | undefined = validators[check.validatorIndex];
      if (validator === undefined) return;
      const valid = await verifyAsync(validator.alg, validator.publicKey, check.message, check.signature);
      verifier.prime(check.validatorIndex, check.message, check.signature, valid);
    }),
  );
}

/**
 * Verifies a block's transaction signatures under the keys their senders most likely have
 * (committed, registered by an uncommitted block, or earlier in this block). Only a cache:
 * validateBlock decides with the keys of the block's actual parent state.
 */
export async function verifyBlockTxsAhead(block: Block, modules: Pick<InboundModules, "chain" | "app">): Promise<void> {
  const { chain, app } = modules;
  const registered = new Map<string, TxKey>();
  const checks: Promise<void>[] = [];
  for (const signedTx of block.txs) {
    let prepared;
    try {
      prepared = app.preparer.prepare(signedTx);
    } catch {
      continue; // Invalid: validateBlock will refuse the block and say why.
    }
    const { tx, sig } = signedTx;
    const fromHex = toHex(tx.from);
    let key: TxKey | undefined;
    if (tx.type === "account.register") {
      key = { alg: tx.body.alg, publicKey: tx.body.publicKey };
      registered.set(fromHex, key);
    } else key = chain.accounts.getAccount(tx.from) ?? app.blocks.registeredKeyHint(tx.from) ?? registered.get(fromHex);
    if (key === undefined || app.signatures.isVerified(prepared.txHashHex, sig, key)) continue;
    const verifiedKey = key;
    // Its gossiped copy may be being admitted now (a flood): that check's verdict serves.
    const verdict = app.signatures.pendingCheck(prepared.txHashHex, sig, key) ?? verifyAsync(key.alg, key.publicKey, prepared.txHash, sig);
    checks.push(
      verdict.then((valid) => {
        if (valid) app.signatures.remember(prepared.txHashHex, { sig, alg: verifiedKey.alg, publicKey: verifiedKey.publicKey });
      }),
    );
  }
  await Promise.all(checks);
}
