/** Status, blocks and checkpoints. */
import { formatAddress, signatureAlgorithmName } from "../../crypto/index.ts";
import { decodeStoredHeader, signerIndices } from "../../ledger/index.ts";
import { toHex } from "../../util/index.ts";
import { readBalance } from "../../app/index.ts";
import { genesisToJson } from "../../node/home.ts";
import { notFound } from "../errors.ts";
import { qcJson, storedBlockJson, validatorJson } from "../json.ts";
import { requireAddress, requireUint } from "../params.ts";
import type { RouteFactory } from "../types.ts";

export const chainRoutes: RouteFactory = ({ chain, mempool, producer }) => [
  {
    method: "GET",
    url: "/v1/status",
    summary: "Chain id, head and log size of this node",
    async handler() {
      const head = chain.head;
      return {
        chainId: chain.genesis.chainId,
        height: head.height,
        blockHash: toHex(head.hash),
        timestamp: head.timestamp,
        logSize: head.logSize,
        logRoot: toHex(head.logRoot),
        stateRoot: toHex(head.stateRoot),
        genesisHash: toHex(chain.genesisHash),
        // The genesis set (epoch 0): what a client without a genesis file trusts on first use.
        validators: chain.genesis.validators.map(validatorJson),
        epochBlocks: chain.validatorSets.epochBlocks,
        epoch: chain.validatorSets.epochOf(head.height),
        // This node's proof pruning (state.proofHistoryBlocks): below it only each epoch's last height proves.
        stateProofsFromHeight: chain.state.proofsPrunedBefore,
        mempool: { txs: mempool.size, ready: mempool.readyCount },
        // A validator that fell far behind syncs by range out of consensus; the height then climbs fast.
        syncing: producer.syncing === true,
        // A validator that saw another process sign with its key only follows the chain until its operator resumes signing.
        signingStoppedAtView: producer.signingStoppedAtView ?? null,
      };
    },
  },
  {
    method: "GET",
    url: "/v1/genesis",
    summary: "This node's genesis file (as genesis.json holds it): light clients without a trusted copy derive every epoch's validator set from it",
    async handler() {
      return JSON.parse(genesisToJson(chain.genesis)) as unknown;
    },
  },
  {
    method: "GET",
    url: "/v1/accounts/:address",
    summary: "An account: whether it is registered, its committed nonce, the next nonce to use and its token balance (decimal string), read at `height`; `syncing`: the node is catching up, so these may be stale",
    params: { address: "account address (gm…)" },
    async handler(request) {
      const { address: text } = request.params as { address: string };
      const address = requireAddress(text, "address");
      const account = chain.accounts.getAccount(address);
      return {
        address: formatAddress(address),
        registered: account !== undefined,
        nonce: account?.nonce ?? 0,
        nextNonce: mempool.nextNonce(address),
        balance: readBalance((key) => chain.state.get(key) ?? undefined, address).toString(),
        ...(account ? { alg: signatureAlgorithmName(account.alg), publicKey: toHex(account.publicKey) } : {}),
        height: chain.head.height,
        // A syncing node's state lags the chain: a client must not take its nextNonce as current.
        syncing: producer.syncing === true,
      };
    },
  },
  {
    method: "GET",
    url: "/v1/blocks/:height",
    summary: "A committed block: header, hash, certificate and transaction hashes",
    params: { height: "block height (1 = first block)" },
    async handler(request) {
      const { height: heightText } = request.params as { height: string };
      const height = requireUint(heightText, "height", { min: 1 });
      const row = chain.store.getBlock(height);
      if (!row) throw notFound(`no block at height ${height}; the head is at ${chain.head.height}`);
      return { ...storedBlockJson(row, height, chain.store.certificate(height)), txHashes: chain.store.txsOfBlock(height).map((tx) => toHex(tx.hash)) };
    },
  },
  {
    method: "GET",
    url: "/v1/checkpoint",
    summary: "The latest signed tree head: log size and root, certified by the validators' signatures over the block",
    async handler() {
      const height = chain.head.height;
      if (height === 0) throw notFound("no block committed yet, so there is no checkpoint");
      const row = chain.store.getBlock(height);
      if (!row) throw notFound(`no block at height ${height}`);
      const header = decodeStoredHeader(row.header, height);
      const qc = chain.store.certificate(height);
      // The QC certifying block h is signed by the set of h's epoch (decision 0605).
      const validators = chain.validatorSets.forHeight(height).set.validators;
      const signatures = signerIndices(qc.signers, validators.length).map((index, position) => {
        const validator = validators[index]!;
        return { validator: formatAddress(validator.address), alg: signatureAlgorithmName(validator.alg), signature: toHex(qc.signatures[position]!) };
      });
      return {
        chainId: header.chainId,
        height,
        view: header.view,
        blockHash: toHex(row.hash),
        treeSize: header.logSize,
        rootHash: toHex(header.logRoot),
        timestamp: header.timestamp,
        header: toHex(row.header),
        certificate: qcJson(qc),
        signatures,
      };
    },
  },
];
