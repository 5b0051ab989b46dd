import type { FastifyReply, FastifyRequest } from "fastify";
import type { Registry } from "prom-client";
import type { Mempool, PoolTx } from "../mempool/index.ts";
import type { Chain } from "../node/chain.ts";
import type { CommittedBlockEvent } from "../node/producer.ts";
import type { Logger } from "../node/types.ts";

/**
 * What the API needs from whatever commits blocks (the one-validator producer, or a
 * consensus host): "committed" events, and a note after each admission (a consensus host
 * gossips the transaction to the other validators).
 */
export type BlockProducer = {
  on(event: "committed", listener: (event: CommittedBlockEvent) => void): unknown;
  off(event: "committed", listener: (event: CommittedBlockEvent) => void): unknown;
  /** `bytes` are the transaction's wire bytes as admitted (a consensus host gossips them as they are). */
  notifyAdmitted(poolTx: PoolTx, bytes: Uint8Array): void;
  /** True while a validator is out of consensus syncing blocks by range (absent: never). */
  readonly syncing?: boolean;
  /** The view at which a validator saw another signer of its key, so it signs nothing (null or absent: signing as usual). */
  readonly signingStoppedAtView?: number | null;
};

export type ApiModules = {
  readonly chain: Chain;
  readonly mempool: Mempool;
  readonly producer: BlockProducer;
  readonly register: Registry;
  readonly logger: Logger;
};

/** A route declared once as data: the server registers it and the OpenAPI document describes it. */
export type Route = {
  readonly method: "GET" | "POST";
  readonly url: string;
  readonly summary: string;
  readonly params?: Partial<Record<string, string>>;
  readonly query?: Partial<Record<string, string>>;
  readonly body?: string;
  handler(request: FastifyRequest, reply: FastifyReply): Promise<unknown>;
};

export type RouteFactory = (modules: ApiModules) => Route[];
