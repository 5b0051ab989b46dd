/**
 * What a validator-set switch costs the chain: `npm run bench:epoch-switch` (node
 * bench/epoch-switch.ts [--switches N] [--epoch-blocks E]). Four validators in this process
 * (each its own SQLite store, consensus host and API, on the in-memory network) run a
 * proof-of-stake chain with epochs of E blocks, an empty block every 100 ms, and the node's
 * default consensus timing. Validator 0 bonds one more token, or unbonds it again, once per
 * epoch, so every epoch ends with a set whose powers differ from the running one's, and
 * consensus switches engines (decision 0605).
 *
 * Reported, from validator 0's commits (its head polled every POLL_MS):
 * - `switchPauseMs`: from the commit of an epoch's last block to the commit of the next
 *   epoch's first block, for every switch;
 * - beside it, measured in the same run: `blockIntervalMs`, the same gap between any two
 *   other consecutive blocks, and `viewTimeoutBaseMs`, the view timer a switch waited out
 *   before a validator timed out views it had voted in at once (session 31).
 * Prints one JSON document on stdout; progress goes to stderr.
 */
import { encodeAmount } from "../src/app/index.ts";
import { defaultConsensusTiming } from "../src/consensus/index.ts";
import { addressFromPublicKey, formatAddress } from "../src/crypto/index.ts";
import { commitNext, posGenesisExtras, startCluster, waitFor, type Account, type Cluster } from "../test/node/consensus/cluster.ts";
import { benchCommandLine, intArg } from "./lib/cli.ts";
import { machineFacts, round } from "./lib/machine.ts";
import { nowMs, progress, quantileOfSorted } from "./lib/timing.ts";

const VALIDATORS = 4;
const BOND = 1000n;
const EMPTY_INTERVAL_MS = 100;
const POLL_MS = 2;
const SWITCH_TIMEOUT_MS = 60_000;

const HELP = `Usage: node bench/epoch-switch.ts [--switches N] [--epoch-blocks E]

Times validator-set switches on a 4-validator proof-of-stake chain in this process.

  --switches N       set switches to time (default 10, 1-1000)
  --epoch-blocks E   blocks per epoch (default 10, 4-1000)
  --help             this text
`;

const settings = benchCommandLine(
  { name: "bench/epoch-switch.ts", help: HELP, options: { switches: { type: "string" }, "epoch-blocks": { type: "string" }, help: { type: "boolean" } } },
  ({ values }) => ({
    switches: intArg(values.switches, "--switches", { min: 1, max: 1000 }, 10),
    epochBlocks: intArg(values["epoch-blocks"], "--epoch-blocks", { min: 4, max: 1000 }, 10),
  }),
);

/** Wall time at which validator 0's head first showed each height, until stopped. */
function recordCommits(cluster: Cluster): { readonly committedAtMs: Map<number, number>; stop(): void } {
  const committedAtMs = new Map<number, number>();
  let seen = 0;
  const timer = setInterval(() => {
    const height = cluster.validators[0]?.chain.head.height ?? 0;
    // Heights committed together in one step share its time.
    for (const now = nowMs(); seen < height; ) committedAtMs.set(++seen, now);
  }, POLL_MS);
  return { committedAtMs, stop: () => clearInterval(timer) };
}

function epochLabelOf(cluster: Cluster): number {
  const epoch = cluster.validators[0]?.host.epoch;
  if (epoch === undefined || epoch === null) throw new Error("bench: validator 0 runs no consensus epoch");
  return epoch.label;
}

function summary(values: readonly number[]): { readonly count: number; readonly p50: number; readonly p90: number; readonly max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, p50: round(quantileOfSorted(sorted, 0.5), 1), p90: round(quantileOfSorted(sorted, 0.9), 1), max: round(sorted[sorted.length - 1] ?? 0, 1) };
}

async function main(): Promise<void> {
  const cluster = await startCluster(VALIDATORS, { genesisExtras: posGenesisExtras(BOND, settings.epochBlocks), emptyIntervalMs: EMPTY_INTERVAL_MS, timing: defaultConsensusTiming });
  const commits = recordCommits(cluster);
  try {
    const key = cluster.keys[0];
    if (key === undefined) throw new Error("bench: no key for validator 0");
    const account: Account = { key, address: formatAddress(addressFromPublicKey(key.alg, key.publicKey)), nonce: 0 };
    await commitNext(cluster, account, { type: "account.register" });
    const validator = addressFromPublicKey(key.alg, key.publicKey);
    const amount = encodeAmount(1n);
    const labels: number[] = [];
    let label = epochLabelOf(cluster);
    for (let switched = 0; switched < settings.switches; switched++) {
      // Alternating keeps validator 0's stake at BOND or BOND + 1: its power differs from the set's it runs with.
      await commitNext(cluster, account, switched % 2 === 0 ? { type: "staking.bond", body: { amount } } : { type: "staking.unbond", body: { validator, amount } });
      const before = label;
      label = await waitFor(`a set switch after epoch label ${before}`, () => {
        const now = epochLabelOf(cluster);
        return now > before ? now : undefined;
      }, SWITCH_TIMEOUT_MS);
      labels.push(label);
      progress(`bench: switch ${switched + 1}/${settings.switches} at height ${label * settings.epochBlocks}`);
    }
    // One block into the last epoch, so its first block's commit time is recorded.
    const lastFirst = label * settings.epochBlocks;
    await waitFor(`height ${lastFirst + 1}`, () => ((cluster.validators[0]?.chain.head.height ?? 0) > lastFirst ? true : undefined), SWITCH_TIMEOUT_MS);
    commits.stop();
    const firstHeights = new Set(labels.map((l) => l * settings.epochBlocks));
    const switchPausesMs: number[] = [];
    const intervalsMs: number[] = [];
    for (const [height, atMs] of commits.committedAtMs) {
      const previousMs = commits.committedAtMs.get(height - 1);
      if (previousMs === undefined) continue;
      (firstHeights.has(height) ? switchPausesMs : intervalsMs).push(atMs - previousMs);
    }
    const result = {
      bench: "epoch-switch",
      validators: VALIDATORS,
      epochBlocks: settings.epochBlocks,
      emptyIntervalMs: EMPTY_INTERVAL_MS,
      viewTimeoutBaseMs: defaultConsensusTiming.viewTimeoutBaseMs,
      switchPauseMs: summary(switchPausesMs),
      blockIntervalMs: summary(intervalsMs),
      machine: machineFacts(),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    commits.stop();
    await cluster.close();
  }
}

await main();
