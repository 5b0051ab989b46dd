/** Unsigned transactions and bare chains for state tests: execution never checks signatures (admission does). */
import { addressFromPublicKey } from "../../src/crypto/index.ts";
import { ChainStore, hashTx, signerBitmap, type Genesis, type QuorumCertificate, type SignedTx, type Tx } from "../../src/ledger/index.ts";
import { Chain, type BuiltBlock } from "../../src/node/chain.ts";
import type { ExecutionTx } from "../../src/app/index.ts";

export const CHAIN_ID = "state-test";

export function fakeGenesis(): Genesis {
  const publicKey = new Uint8Array(1952).fill(7);
  return { chainId: CHAIN_ID, genesisTime: 1_700_000_000_000, validators: [{ name: "v0", address: addressFromPublicKey(2, publicKey), alg: 2, publicKey, power: 1 }] };
}

/** Account i's (fake) ML-DSA-65 public key and address. */
export function fakeAccount(i: number): { publicKey: Uint8Array; address: Uint8Array } {
  const publicKey = new Uint8Array(1952).fill(1);
  new DataView(publicKey.buffer).setUint32(0, i);
  return { publicKey, address: addressFromPublicKey(2, publicKey) };
}

export type TxSpec = { readonly account: number; readonly kind: "register" | "append"; readonly nonce: number };

export function fakeTx(spec: TxSpec, tag: number): ExecutionTx {
  const { publicKey, address } = fakeAccount(spec.account);
  const common = { chainId: CHAIN_ID, from: address, nonce: spec.nonce };
  const tx: Tx =
    spec.kind === "register"
      ? { ...common, type: "account.register", body: { alg: 2, publicKey } }
      : { ...common, type: "audit.append", body: { record: { action: "test", subject: `s${tag}` } } };
  const signedTx: SignedTx = { tx, sig: new Uint8Array(8) };
  return { signedTx, txHash: hashTx(tx) };
}

export function openMemoryChain(path = ":memory:"): Chain {
  return new Chain(fakeGenesis(), new ChainStore(path));
}

/** A one-signer QC for the block (not a valid signature: the chain does not verify at commit). */
export function fakeQc(built: BuiltBlock): QuorumCertificate {
  const { header } = built.block;
  return { view: header.view, height: header.height, blockHash: built.hash, signers: signerBitmap([0], 1), signatures: [new Uint8Array(8)] };
}

export function buildOnHead(chain: Chain, txs: readonly ExecutionTx[]): BuiltBlock {
  const head = chain.head;
  return chain.buildBlock({ txs, proposer: chain.genesis.validators[0]!.address, view: head.height + 1, timestampMs: head.timestamp + 1, justify: null, evidence: [] });
}
