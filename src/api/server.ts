/**
 * The REST server (Fastify). Routes are declared as data in routes/*.ts; this file registers
 * them, serves their OpenAPI document and Prometheus metrics, and turns every error into
 * `{error: {code, message}}` with the status from errors.ts.
 */
import Fastify, { type FastifyError, type FastifyReply } from "fastify";
import swagger from "@fastify/swagger";
import { BATCH_TX_BYTES_MAX } from "../ledger/index.ts";
import { GhostmeshError } from "../util/index.ts";
import { errorBody, httpStatusOf } from "./errors.ts";
import { chainRoutes } from "./routes/chain.ts";
import { logRoutes } from "./routes/log.ts";
import { stateRoutes } from "./routes/state.ts";
import { rolesRoutes } from "./routes/roles.ts";
import { stakingRoutes } from "./routes/staking.ts";
import { environmentRoutes } from "./routes/environments.ts";
import { paramsRoutes } from "./routes/params.ts";
import { governanceRoutes } from "./routes/governance.ts";
import { txRoutes } from "./routes/txs.ts";
import { validatorSetRoutes } from "./routes/validatorSets.ts";
import type { ApiModules, Route } from "./types.ts";

export type ApiOptions = { readonly host: string; readonly port: number };
export type ApiServer = { readonly url: string; close(): Promise<void> };

/** Longer than any height, hash (0x + 64 hex) or address a path holds; Fastify's default. */
const PATH_PARAM_CHARS_MAX = 100;

/** A batch as JSON hex is twice its CBOR size; leave room for the envelope. */
const BODY_BYTES_MAX = BATCH_TX_BYTES_MAX * 2 + 1024;

function stringProperties(fields: Partial<Record<string, string>> | undefined) {
  if (!fields) return undefined;
  const properties = Object.fromEntries(Object.entries(fields).map(([name, description]) => [name, { type: "string", description }]));
  return { type: "object", properties };
}

export function buildApi(modules: ApiModules) {
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_BYTES_MAX,
    exposeHeadRoutes: false,
    routerOptions: { maxParamLength: PATH_PARAM_CHARS_MAX },
    // The router's own refusals (a path parameter too long, bad percent-encoding) answer in the
    // API's error shape too; the path is not echoed back, it may be kilobytes long.
    frameworkErrors: (err, _request, reply) => {
      const tooLong = err.code === "FST_ERR_MAX_PARAM_LENGTH";
      const message = tooLong ? `a path parameter is longer than ${PATH_PARAM_CHARS_MAX} characters` : "the URL path is not valid percent-encoding";
      // Fastify types this reply for any route's schema; it answers before any route is chosen.
      (reply as unknown as FastifyReply).code(tooLong ? 414 : 400).send(errorBody(tooLong ? "API_URI_TOO_LONG" : "API_BAD_REQUEST", message));
    },
  });
  // Transactions are CBOR or JSON; anything else is refused with 415 rather than parsed as text.
  app.removeContentTypeParser("text/plain");
  app.addContentTypeParser("application/cbor", { parseAs: "buffer", bodyLimit: BODY_BYTES_MAX }, (_request, body, done) => {
    done(null, new Uint8Array(body as Buffer));
  });
  app.register(swagger, {
    openapi: {
      info: { title: "Ghostmesh node API", version: "1", description: "Hashes, keys and signatures are lowercase hex; addresses are gm followed by 40 hex characters." },
    },
  });
  app.setErrorHandler((err: FastifyError | GhostmeshError, _request, reply) => {
    if (err instanceof GhostmeshError) {
      const status = httpStatusOf(err);
      if (status >= 500 && status !== 503 && status !== 504) modules.logger.error({ err }, "Request failed");
      return reply.code(status).send(errorBody(err.code, err.message, err.meta));
    }
    const status = typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) modules.logger.error({ err }, "Request failed");
    const code = status === 413 ? "API_BODY_TOO_LARGE" : status === 415 ? "API_UNSUPPORTED_MEDIA_TYPE" : status === 500 ? "API_INTERNAL" : "API_BAD_REQUEST";
    return reply.code(status).send(errorBody(code, status === 500 ? "internal error; see the node log" : err.message));
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(errorBody("API_NOT_FOUND", `no route ${request.method} ${request.url.split("?")[0]}; see /v1/openapi.json`));
  });

  const routes: Route[] = [...chainRoutes(modules), ...txRoutes(modules), ...logRoutes(modules), ...stateRoutes(modules), ...rolesRoutes(modules), ...stakingRoutes(modules), ...environmentRoutes(modules), ...paramsRoutes(modules), ...governanceRoutes(modules), ...validatorSetRoutes(modules)];
  app.register(async (scope) => {
    for (const route of routes) {
      scope.route({
        method: route.method,
        url: route.url,
        schema: { summary: route.summary, ...(route.params ? { params: stringProperties(route.params) } : {}), ...(route.query ? { querystring: stringProperties(route.query) } : {}) },
        handler: route.handler,
      });
    }
    scope.get("/v1/openapi.json", { schema: { hide: true } }, async () => app.swagger());
    scope.get("/metrics", { schema: { hide: true } }, async (_request, reply) => {
      reply.header("content-type", modules.register.contentType);
      return modules.register.metrics();
    });
  });
  return app;
}

/**
 * @throws GhostmeshError NODE_API_LISTEN_FAILED when the address cannot be bound (a port in use
 *   or reserved, an address not on this machine), naming it and where to change it.
 */
export async function startApiServer(opts: ApiOptions, modules: ApiModules): Promise<ApiServer> {
  const app = buildApi(modules);
  let address: string;
  try {
    address = await app.listen({ host: opts.host, port: opts.port });
  } catch (err) {
    await app.close();
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "EADDRINUSE" ? "the port is in use (another node, or an earlier run still stopping?)" : code === "EACCES" ? "the port needs privileges" : code === "EADDRNOTAVAIL" ? "the address is not on this machine" : (err as Error).message;
    throw new GhostmeshError("NODE_API_LISTEN_FAILED", `cannot serve the API on ${opts.host}:${opts.port}: ${why}; choose another with --api-port / --api-host, GHOSTMESH_API_PORT, or api.port in config.yaml`, {
      host: opts.host,
      port: opts.port,
      ...(code === undefined ? {} : { errno: code }),
    });
  }
  return { url: address.replace("[::1]", "127.0.0.1"), close: () => app.close() };
}
