import type { FastifyReply, FastifyRequest } from "fastify";
import type { Registry } from "prom-client";
import type { Mempool } from "../mempool/index.ts";
import type { Chain } from "../node/chain.ts";
import type { SingleValidatorProducer } from "../node/producer.ts";
import type { Logger } from "../node/types.ts";

export type ApiModules = {
  readonly chain: Chain;
  readonly mempool: Mempool;
  readonly producer: Pick<SingleValidatorProducer, "on" | "off" | "notifyAdmitted">;
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
