/** Module parameters and the chain's mode and epoch, from the committed state (docs/decisions/0601). */
import { epochOf, readAllParams, readChainMode } from "../../app/index.ts";
import { notFound } from "../errors.ts";
import { parseUint } from "../params.ts";
import type { RouteFactory } from "../types.ts";

export const paramsRoutes: RouteFactory = ({ chain }) => [
  {
    method: "GET",
    url: "/v1/params",
    summary: "Every module's parameters after a block (default: the head), nested by module, with the chain mode and epoch",
    query: { height: "block height whose post-state to read (default: the head; 0 = genesis)" },
    async handler(request) {
      const q = request.query as { height?: string };
      const head = chain.head.height;
      const height = parseUint(q.height, "height") ?? head;
      if (height > head) throw notFound(`no block at height ${height}; the head is at ${head}`);
      const get = (key: Uint8Array) => chain.state.get(key, height) ?? undefined;
      const params = readAllParams(get);
      return { height, mode: readChainMode(get), epoch: epochOf(height, params.chain.epochBlocks), params };
    },
  },
];
