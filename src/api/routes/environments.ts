/** Environments: one Blue environment with its checkpoints and merges; Green and its history (decision 0604). */
import { formatAddress } from "../../crypto/index.ts";
import { readCheckpoints, readEnvironment, readGreen, readGreenCount, readGreenHistory, readMerges, type EnvCheckpoint, type EnvMerge, type GreenRecord } from "../../app/index.ts";
import { ENV_NAME_PATTERN } from "../../ledger/index.ts";
import { toHex } from "../../util/index.ts";
import { badRequest, notFound } from "../errors.ts";
import { parseUint } from "../params.ts";
import type { RouteFactory } from "../types.ts";

const HISTORY_LIMIT_DEFAULT = 100;
const HISTORY_LIMIT_MAX = 1_000;

const checkpointJson = (c: EnvCheckpoint) => ({ stateHash: toHex(c.stateHash), version: c.version, height: c.height, txHash: toHex(c.txHash) });
const mergeJson = (m: EnvMerge) => ({ sources: m.sources, strategy: m.strategy, stateHash: toHex(m.stateHash), version: m.version, height: m.height, txHash: toHex(m.txHash) });
const greenJson = (g: GreenRecord) => ({ name: g.name, stateHash: toHex(g.stateHash), version: g.version, height: g.height, txHash: toHex(g.txHash) });

export const environmentRoutes: RouteFactory = ({ chain }) => {
  const get = (key: Uint8Array) => chain.state.get(key) ?? undefined;
  return [
    {
      method: "GET",
      url: "/v1/env/:name",
      summary: "A Blue environment in the committed state: its state hash and version, recent checkpoints and merges into it",
      params: { name: "environment name (lowercase letters, digits and dashes)" },
      async handler(request) {
        const { name } = request.params as { name: string };
        if (!ENV_NAME_PATTERN.test(name)) throw badRequest(`name: "${name.slice(0, 80)}" is not an environment name (lowercase letters, digits and dashes, up to 63)`, { field: "name" });
        const env = readEnvironment(get, name);
        if (env === undefined) throw notFound(`no environment named "${name}"`);
        const checkpoints = readCheckpoints(get, name);
        const merges = readMerges(get, name);
        return {
          height: chain.head.height,
          environment: {
            name: env.name,
            description: env.description,
            stateHash: toHex(env.stateHash),
            version: env.version,
            creator: formatAddress(env.creator),
            createdHeight: env.createdHeight,
            updatedHeight: env.updatedHeight,
            updatedTxHash: toHex(env.updatedTxHash),
          },
          checkpoints: { total: checkpoints.total, recent: checkpoints.recent.map(checkpointJson) },
          merges: { total: merges.total, recent: merges.recent.map(mergeJson) },
        };
      },
    },
    {
      method: "GET",
      url: "/v1/env-green",
      summary: "The current Green state (null before the first promotion) and a page of the promotion history, oldest first",
      query: {
        from: "index of the first promotion to list (default: the page ending at the latest)",
        limit: `page size (default ${HISTORY_LIMIT_DEFAULT}, max ${HISTORY_LIMIT_MAX})`,
      },
      async handler(request) {
        const q = request.query as { from?: string; limit?: string };
        const limit = parseUint(q.limit, "limit", { min: 1, max: HISTORY_LIMIT_MAX }) ?? HISTORY_LIMIT_DEFAULT;
        const total = readGreenCount(get);
        const from = parseUint(q.from, "from") ?? Math.max(0, total - limit);
        const green = readGreen(get);
        const entries = readGreenHistory(get, from, limit).map((g, i) => ({ index: from + i, ...greenJson(g) }));
        return { height: chain.head.height, green: green === undefined ? null : greenJson(green), history: { total, from, entries } };
      },
    },
  ];
};
