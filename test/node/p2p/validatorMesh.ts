/**
 * Four (or n) validators of one devnet started at once over libp2p on 127.0.0.1, up to a full
 * mesh of validator connections with every gossip topic subscribed both ways (transactions
 * gossip only once it is up). For tests that perturb one validator while the others run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { pino } from "pino";
import { GhostmeshClient } from "../../../src/client/index.ts";
import type { ConsensusTiming } from "../../../src/consensus/index.ts";
import { loadNodeConfig } from "../../../src/node/config.ts";
import { prepareDevnetHomes } from "../../../src/node/consensus/index.ts";
import { configureP2pDevnet, findFreePorts, startP2pValidatorNode, type BlockSyncOptions, type P2pValidatorOptions, type RunningP2pValidator } from "../../../src/node/p2p/index.ts";
import type { Logger } from "../../../src/node/types.ts";
import { GossipTopic } from "../../../src/p2p/index.ts";
import { CHAIN_ID, newAccount, signNext, waitFor, type Account } from "../consensus/cluster.ts";

const silent = pino({ level: "silent" }) as unknown as Logger;

export type ValidatorMeshOptions = {
  readonly timing: ConsensusTiming;
  readonly sync: Partial<BlockSyncOptions>;
  /** Overrides the config's block.emptyIntervalMs (0: no empty blocks). */
  readonly emptyIntervalMs?: number;
  /** Instead of silence. */
  readonly logger?: Logger;
  /** p2p host options beside the quick redials (reputation, say). */
  readonly p2p?: P2pValidatorOptions["p2p"];
};

export type ValidatorMesh = { readonly homes: ReturnType<typeof prepareDevnetHomes>; readonly validators: RunningP2pValidator[] };

/** Four validator homes in a temporary directory; the enclosing suite's `after` stops what started and removes it. */
export function validatorMeshFixture(dirPrefix: string): ValidatorMesh {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const mesh = { homes: prepareDevnetHomes(dir, { validators: 4, chainId: CHAIN_ID, genesisTimeMs: Date.now() }), validators: [] as RunningP2pValidator[] };
  after(async () => {
    for (const validator of [...mesh.validators].reverse()) await validator.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return mesh;
}

/** Starts validator `index` of `homes` (silent logs, quick redials; `emptyIntervalMs` overrides the config's). */
export function startMeshValidator(homes: ReturnType<typeof prepareDevnetHomes>, index: number, opts: ValidatorMeshOptions): Promise<RunningP2pValidator> {
  const { home, key } = homes.homes[index]!;
  const loaded = loadNodeConfig(home, {});
  const block = opts.emptyIntervalMs === undefined ? loaded.block : { ...loaded.block, emptyIntervalMs: opts.emptyIntervalMs };
  const config = { ...loaded, block, log: { level: "silent" as const } };
  return startP2pValidatorNode({ home, config, genesis: homes.genesis, timing: opts.timing, p2p: { redialDelayMsMin: 100, redialDelayMsMax: 500, ...opts.p2p }, sync: opts.sync }, { key, logger: opts.logger ?? silent });
}

/**
 * Starts every validator of the mesh's homes, adding each that started to its `validators`
 * (so `after` stops them even when another failed), then waits for the full mesh.
 */
export async function startValidatorMesh({ homes, validators: into }: ValidatorMesh, opts: ValidatorMeshOptions): Promise<void> {
  const count = homes.homes.length;
  await configureP2pDevnet(homes, { api: homes.homes.map(() => 0), p2p: await findFreePorts(count) });
  const settled = await Promise.allSettled(homes.homes.map((_, index) => startMeshValidator(homes, index, opts)));
  for (const outcome of settled) if (outcome.status === "fulfilled") into.push(outcome.value);
  for (const outcome of settled) if (outcome.status === "rejected") throw outcome.reason;
  const peers = count - 1;
  await waitFor("a full mesh of validator connections", () => (into.every((v) => v.p2p.peers().length === peers && v.p2p.topicPeers(GossipTopic.vote).length === peers) ? true : undefined), 20_000);
}

/**
 * Registers a new account through validator 0, waits until validator `index` committed it too,
 * then stops that validator's consensus host (its p2p host stays up): a validator stalled at a
 * known height, and an account the others can go on committing with.
 */
export async function stallAfterRegistering(mesh: ValidatorMesh, index: number, timeoutMs: number): Promise<{ readonly account: Account; readonly heightStalled: number }> {
  const validator = mesh.validators[index]!;
  const account = newAccount();
  const registration = signNext(account, { type: "account.register" });
  await new GhostmeshClient(mesh.validators[0]!.api.url).submitTx(registration.bytes, { wait: true, timeoutMs });
  const stalling = new GhostmeshClient(validator.api.url);
  await waitFor("the registration to commit at the validator about to stall", async () => ((await stalling.tx(registration.hash)).status === "committed" ? true : undefined), timeoutMs);
  await validator.host.stop();
  return { account, heightStalled: validator.chain.head.height };
}

