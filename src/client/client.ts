/**
 * Typed client for a node's REST API. Used by the CLI, the tests and the web UI. Errors from
 * the node arrive as ClientError with the node's code and message.
 */
import { parseWith, type Schema } from "../codec/index.ts";
import { GhostmeshError, toHex } from "../util/index.ts";
import {
  accountSchema,
  auditSchema,
  blockSchema,
  checkpointSchema,
  consistencyProofSchema,
  anyObjectSchema,
  inclusionProofSchema,
  policiesSchema,
  rolesSchema,
  stateProofSchema,
  statusSchema,
  submitSchema,
  txSchema,
  validatorSetSchema,
  validatorSetsSchema,
} from "./responses.ts";

export class ClientError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "ClientError";
    this.status = status;
    this.code = code;
  }
}

export type StatusResponse = {
  chainId: string;
  height: number;
  blockHash: string;
  timestamp: number;
  logSize: number;
  logRoot: string;
  stateRoot: string;
  genesisHash: string;
  /** The genesis set (epoch 0); later epochs' sets: validatorSets(). */
  validators: ValidatorJson[];
  epochBlocks: number;
  /** The epoch of the head. */
  epoch: number;
  /** Every height from this one answers state proofs; below it only each epoch's last height (0: this node prunes nothing yet). */
  stateProofsFromHeight: number;
  mempool: { txs: number; ready: number };
  /** True while this validator is out of consensus, syncing blocks by range from its peers. */
  syncing: boolean;
  /**
   * Set once this validator saw another process sign with its key: the view of that sighting.
   * It signs nothing, across restarts, until started with --resume-signing. Null: signing as
   * usual (absent: a node of an older version).
   */
  signingStoppedAtView?: number | null;
};
export type ValidatorJson = { name: string; address: string; alg: string; publicKey: string; power: number };
export type SubmitResponse = { hash: string; status: "pending" | "committed"; height?: number };
export type TxResponse = { hash: string; status: "pending" | "committed" | "refused"; height?: number; code?: string; message?: string; type?: string; from?: string; nonce?: number; nonceExpected?: number; firstLeaf?: number; leafCount?: number };
export type CheckpointResponse = {
  chainId: string;
  height: number;
  view: number;
  blockHash: string;
  treeSize: number;
  rootHash: string;
  timestamp: number;
  header: string;
  certificate: { view: number; height: number; blockHash: string; signers: string; signatures: string[] };
  signatures: { validator: string; alg: string; signature: string }[];
};
export type QcJson = { view: number; height: number; blockHash: string; signers: string; signatures: string[] };
export type BlockResponse = { height: number; hash: string; header: Record<string, unknown>; headerBytes: string; certificate: QcJson; txHashes: string[] };
/** A block header with the QC certifying it: what verifyBlockResponse checks. */
export type CertifiedBlockJson = Pick<BlockResponse, "height" | "hash" | "header" | "headerBytes" | "certificate">;
/** A state key's value at a height; `proof` in the JSON form of merkle's StateProof (StateProofJson). */
export type StateProofResponse = {
  height: number;
  stateRoot: string;
  key: string;
  value: string | null;
  proof: { leaf: { keyHash: string; valueHash: string } | null; depth: number; bitmap: string; siblings: string[] };
};
/**
 * The validator set of an epoch (members in QC bitmap order). `derivedFrom` (null for epoch 0,
 * the genesis set): the certified block e·epochBlocks − 1 and the state proofs, against its
 * stateRoot, of the validator set record and each member's account records.
 */
export type EpochValidatorSetJson = {
  epoch: number;
  firstHeight: number;
  lastHeight: number;
  hash: string;
  powerTotal: number;
  validators: ValidatorJson[];
  derivedFrom: { height: number; block: CertifiedBlockJson; proofs: StateProofResponse[] } | null;
};
export type ValidatorSetsResponse = { epochBlocks: number; latestEpoch: number; sets: EpochValidatorSetJson[]; nextEpoch: number | null };
export type ValidatorSetResponse = { epochBlocks: number; latestEpoch: number } & EpochValidatorSetJson;
export type InclusionProofResponse = { leafIndex: number; treeSize: number; rootHash: string; entry: string; auditPath: string[] };
export type ConsistencyProofResponse = { fromSize: number; toSize: number; fromRoot: string; toRoot: string; proof: string[] };
/** `balance`: the committed token balance as a decimal string. */
export type AccountResponse = {
  address: string;
  registered: boolean;
  nonce: number;
  nextNonce: number;
  balance: string;
  alg?: string;
  publicKey?: string;
  /** The head the answer was read at. */
  height: number;
  /** True while the node syncs blocks out of consensus: nonce and nextNonce may be stale. */
  syncing: boolean;
};
export type RolesResponse = { address: string; height: number; roles: string[] };
export type PoliciesResponse = { height: number; policies: { operation: string; threshold: number; signers: string[] }[] };
export type AuditQuery = { action?: string; sender?: string; fromHeight?: number; toHeight?: number; limit?: number; cursor?: string };
export type AuditResponse = { entries: Record<string, unknown>[]; nextCursor: string | null };

export class GhostmeshClient {
  readonly baseUrl: string;
  constructor(baseUrl: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
  }

  /** The answer, checked against `schema` (responses.ts): a body of another shape is CLIENT_BAD_RESPONSE. */
  private async request<T>(method: "GET" | "POST", path: string, schema: Schema<T>, body?: Uint8Array): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: body ? { "content-type": "application/cbor" } : {},
        body: body ? Buffer.from(body) : undefined,
      });
    } catch (err) {
      throw new ClientError(0, "CLIENT_UNREACHABLE", `cannot reach node at ${this.baseUrl}: ${(err as Error).cause ?? (err as Error).message}`);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ClientError(response.status, "CLIENT_BAD_RESPONSE", `node answered ${response.status} with non-JSON: ${text.slice(0, 200)}`);
    }
    if (!response.ok) {
      const error = typeof json === "object" && json !== null ? (json as { error?: unknown }).error : undefined;
      const field = (name: string): string | undefined => {
        const value = typeof error === "object" && error !== null ? (error as Record<string, unknown>)[name] : undefined;
        return typeof value === "string" ? value.slice(0, 1000) : undefined;
      };
      throw new ClientError(response.status, field("code") ?? "CLIENT_HTTP_ERROR", field("message") ?? `HTTP ${response.status}`);
    }
    try {
      return parseWith(schema, json, "answer");
    } catch (err) {
      if (!(err instanceof GhostmeshError)) throw err;
      throw new ClientError(response.status, "CLIENT_BAD_RESPONSE", `node ${this.baseUrl} answered ${method} ${path} with a body this client cannot use: ${err.message}`);
    }
  }

  /** GET a JSON resource of the API (module queries: /v1/staking/..., /v1/gov/..., /v1/env/...), of the shape `schema` checks. */
  getJson<T>(path: string, schema: Schema<T>): Promise<T> {
    return this.request("GET", path, schema);
  }

  status(): Promise<StatusResponse> {
    return this.request("GET", "/v1/status", statusSchema);
  }

  submitTx(bytes: Uint8Array, opts: { wait?: boolean; timeoutMs?: number } = {}): Promise<SubmitResponse> {
    const query = opts.wait ? `?wait=true${opts.timeoutMs ? `&timeoutMs=${opts.timeoutMs}` : ""}` : "";
    return this.request("POST", `/v1/txs${query}`, submitSchema, bytes);
  }

  tx(hash: Uint8Array | string): Promise<TxResponse> {
    return this.request("GET", `/v1/txs/${typeof hash === "string" ? hash : toHex(hash)}`, txSchema);
  }

  block(height: number): Promise<BlockResponse> {
    return this.request("GET", `/v1/blocks/${height}`, blockSchema);
  }

  checkpoint(): Promise<CheckpointResponse> {
    return this.request("GET", "/v1/checkpoint", checkpointSchema);
  }

  audit(query: AuditQuery = {}): Promise<AuditResponse> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const text = params.toString();
    return this.request("GET", `/v1/audit${text ? `?${text}` : ""}`, auditSchema);
  }

  inclusionProof(txHash: string, opts: { recordIndex?: number; treeSize?: number } = {}): Promise<InclusionProofResponse> {
    const record = opts.recordIndex === undefined ? "" : `/${opts.recordIndex}`;
    const size = opts.treeSize === undefined ? "" : `?treeSize=${opts.treeSize}`;
    return this.request("GET", `/v1/proofs/inclusion/${txHash}${record}${size}`, inclusionProofSchema);
  }

  consistencyProof(fromSize: number, toSize?: number): Promise<ConsistencyProofResponse> {
    return this.request("GET", `/v1/proofs/consistency?from=${fromSize}${toSize === undefined ? "" : `&to=${toSize}`}`, consistencyProofSchema);
  }

  /** `key` as hex; `height` defaults to the node's head. */
  stateProof(key: string, opts: { height?: number } = {}): Promise<StateProofResponse> {
    const params = new URLSearchParams({ key });
    if (opts.height !== undefined) params.set("height", String(opts.height));
    return this.request("GET", `/v1/state/proof?${params.toString()}`, stateProofSchema);
  }

  /** The node's genesis file as JSON (node/home.ts genesisFromJson parses it); trusting it is trust on first use. */
  genesis(): Promise<Record<string, unknown>> {
    return this.request("GET", "/v1/genesis", anyObjectSchema);
  }

  /** Sets of epochs fromEpoch..toEpoch with their derivations; the node answers at most 16 at a time (see nextEpoch). */
  validatorSets(fromEpoch: number, toEpoch?: number): Promise<ValidatorSetsResponse> {
    return this.request("GET", `/v1/validator-sets?fromEpoch=${fromEpoch}${toEpoch === undefined ? "" : `&toEpoch=${toEpoch}`}`, validatorSetsSchema);
  }

  validatorSet(epoch: number): Promise<ValidatorSetResponse> {
    return this.request("GET", `/v1/validator-sets/${epoch}`, validatorSetSchema);
  }

  account(address: string): Promise<AccountResponse> {
    return this.request("GET", `/v1/accounts/${address}`, accountSchema);
  }

  roles(address: string): Promise<RolesResponse> {
    return this.request("GET", `/v1/roles/${address}`, rolesSchema);
  }

  policies(): Promise<PoliciesResponse> {
    return this.request("GET", "/v1/policies", policiesSchema);
  }
}
