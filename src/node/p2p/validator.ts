/**
 * One validator of a multi-validator chain as its own process: its libp2p host (node key
 * from the home, listen address and bootstrap peers from config.yaml `p2p`, permissioned
 * allowlist = genesis validators + `p2p.allow`), the consensus network over it, then the
 * validator (store, chain, mempool, consensus host, API). Stops in reverse order.
 */
import { mkdirSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { pino } from "pino";
import type { SigningKey } from "../../crypto/index.ts";
import type { ConsensusTiming } from "../../consensus/index.ts";
import type { Genesis } from "../../ledger/index.ts";
import { createP2pHost, loadOrCreateNodeKey, type P2pHost, type P2pHostOptionsInput } from "../../p2p/index.ts";
import { createProcessRegistry, startValidatorNode, type RunningValidator, type ValidatorNodeOptions } from "../consensus/index.ts";
import type { NodeConfig } from "../config.ts";
import { homePaths } from "../home.ts";
import type { Clock, Logger } from "../types.ts";
import { P2pConsensusNetwork } from "./network.ts";
import type { StemRelayEvent } from "./stemRelay.ts";
import { BlockSync, defaultBlockSyncOptions, type BlockSyncOptions } from "./sync.ts";
import { ValidatorPeers } from "./validatorPeers.ts";

export type P2pValidatorOptions = {
  readonly home: string;
  readonly config: NodeConfig;
  readonly genesis: Genesis;
  readonly timing?: ConsensusTiming;
  /** Host options beyond the config (tests shorten redial delays). */
  readonly p2p?: Partial<Omit<P2pHostOptionsInput, "chainId" | "listenAddresses" | "bootstrapAddresses" | "allowlist" | "channels">>;
  readonly sync?: Partial<BlockSyncOptions>;
};

export type P2pValidatorModules = {
  readonly key: SigningKey;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Sees this validator's Dandelion stems and fluffs (tests). */
  readonly stemObserver?: (event: StemRelayEvent) => void;
};

export type RunningP2pValidator = RunningValidator & { readonly p2p: P2pHost; readonly network: P2pConsensusNetwork; readonly sync: BlockSync };

export async function startP2pValidatorNode(opts: P2pValidatorOptions, modules: P2pValidatorModules): Promise<RunningP2pValidator> {
  const { genesis, config } = opts;
  const logger = modules.logger ?? (pino({ level: config.log.level }) as unknown as Logger);
  const paths = homePaths(opts.home);
  mkdirSync(paths.data, { recursive: true });
  const registry = createProcessRegistry();
  const db = new DatabaseSync(paths.p2pDb);
  let host: P2pHost | null = null;
  let network: P2pConsensusNetwork | null = null;
  try {
    const allowlist = [...new Set([...new ValidatorPeers(genesis).addresses(genesis), ...config.p2p.allow])];
    host = await createP2pHost(
      { ...opts.p2p, chainId: genesis.chainId, listenAddresses: [config.p2p.listen], bootstrapAddresses: config.p2p.bootstrap, allowlist, channels: { channels: config.p2p.channels } },
      { peerPrivateKey: await loadOrCreateNodeKey(paths.p2pKey), signingKey: modules.key, logger: logger.child({ module: "p2p" }), registry, db },
    );
    await host.start();
    const observer = modules.stemObserver === undefined ? {} : { stemObserver: modules.stemObserver };
    network = await P2pConsensusNetwork.create({ genesis, dandelion: config.p2p.dandelion }, { host, logger: logger.child({ module: "p2p-consensus" }), ...observer });
    const timing = opts.timing === undefined ? {} : { timing: opts.timing };
    const clock = modules.clock === undefined ? {} : { clock: modules.clock };
    const sync = new BlockSync({ ...defaultBlockSyncOptions, ...opts.sync }, { host, peers: network.peers, genesis, logger: logger.child({ module: "sync" }) });
    const beforeConsensus = async ({ chain, app }: Parameters<NonNullable<ValidatorNodeOptions["beforeConsensus"]>>[0]): Promise<void> => {
      await sync.serve(chain);
      await sync.catchUp(chain, app);
    };
    const validator = await startValidatorNode({ home: opts.home, config, genesis, beforeConsensus, ...timing }, { key: modules.key, network, logger, registry, ...clock });
    // Stems are verified by mempool admission, so they are served once the validator runs.
    const { mempool, host: consensusHost } = validator;
    network.stemRelay?.setAdmission({
      admit: async (bytes) => {
        const poolTx = await mempool.admit(bytes);
        return () => consensusHost.notifyAdmitted(poolTx, bytes);
      },
    });
    const running = { host, network };
    let stopping: Promise<void> | null = null;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        await validator.stop();
        running.network.close();
        await running.host.stop();
        db.close();
      })();
      return stopping;
    };
    logger.info(
      { peerId: host.peerId.toString(), p2p: host.multiaddrs().map(String), bootstrap: config.p2p.bootstrap.length, channels: config.p2p.channels.map((c) => c.name), dandelion: config.p2p.dandelion.enabled },
      "Validator network started",
    );
    return { ...validator, p2p: host, network, sync, stop };
  } catch (err) {
    network?.close();
    await host?.stop();
    db.close();
    throw err;
  }
}
