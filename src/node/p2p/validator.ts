/**
 * One validator of a multi-validator chain as its own process: its libp2p host (node key
 * from the home, listen address and bootstrap peers from config.yaml `p2p`, permissioned
 * allowlist = genesis validators + `p2p.allow`), the consensus network over it, then the
 * validator (store, chain, mempool, consensus host, API). Stops in reverse order. A validator
 * that falls far behind while running leaves consensus, syncs by range and rejoins by itself
 * (ResyncingValidator below, decision 0504).
 */
import { mkdirSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { pino } from "pino";
import { Registry } from "prom-client";
import type { SigningKey } from "../../crypto/index.ts";
import type { ConsensusTiming } from "../../consensus/index.ts";
import type { Genesis } from "../../ledger/index.ts";
import { createP2pHost, loadOrCreateNodeKey, type P2pHost, type P2pHostOptionsInput } from "../../p2p/index.ts";
import { createProcessRegistry, startValidatorNode, type ConsensusHost, type RunningValidator, type ValidatorParts } from "../consensus/index.ts";
import type { Chain } from "../chain.ts";
import type { NodeConfig } from "../config.ts";
import { homePaths } from "../home.ts";
import { assert } from "../../util/index.ts";
import type { Clock, Logger } from "../types.ts";
import { registerP2pValidatorMetrics } from "./metrics.ts";
import { lagVerdict, type LagVerdictKind } from "./lagVerdict.ts";
import { P2pConsensusNetwork } from "./network.ts";
import { RepeatingCheck } from "./repeatingCheck.ts";
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
  /** ValidatorNodeOptions.resumeSigning (`ghostmesh start --resume-signing`). */
  readonly resumeSigning?: boolean;
};

export type P2pValidatorModules = {
  readonly key: SigningKey;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Sees this validator's Dandelion stems and fluffs (tests). */
  readonly stemObserver?: (event: StemRelayEvent) => void;
};

export type RunningP2pValidator = RunningValidator & {
  readonly p2p: P2pHost;
  readonly network: P2pConsensusNetwork;
  readonly sync: BlockSync;
  /** Times this validator left consensus to sync by range while running. */
  readonly resyncs: number;
};

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
    const sync = new BlockSync({ ...defaultBlockSyncOptions, ...opts.sync }, { host, peers: network.peers, genesis, logger: logger.child({ module: "sync" }) });
    const running = new ResyncingValidator(opts, { ...modules, logger, host, network, sync, registry });
    // Before start: each validator it starts serves a merge of the registry as it is then.
    registerP2pValidatorMetrics(registry, { network, resyncs: () => running.resyncs });
    await running.start();
    const parts = { host, network };
    let stopping: Promise<void> | null = null;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        await running.stop();
        parts.network.close();
        await parts.host.stop();
        db.close();
      })();
      return stopping;
    };
    logger.info(
      { peerId: host.peerId.toString(), p2p: host.multiaddrs().map(String), bootstrap: config.p2p.bootstrap.length, channels: config.p2p.channels.map((c) => c.name), dandelion: config.p2p.dandelion.enabled },
      "Validator network started",
    );
    return running.view(stop);
  } catch (err) {
    network?.close();
    await host?.stop();
    db.close();
    throw err;
  }
}

type ResyncingModules = P2pValidatorModules & { readonly logger: Logger; readonly host: P2pHost; readonly network: P2pConsensusNetwork; readonly sync: BlockSync; readonly registry: Registry };

const LAG_VERDICT_MESSAGES: Readonly<Record<LagVerdictKind, string>> = {
  farBehind: "Fell far behind while running: leaving consensus to sync by range",
  behindAnEpoch: "Validators of more than a third of the power run a later epoch: leaving consensus to sync the validator-set switch by range",
  stalled: "No block committed for a while although the other validators are ahead: leaving consensus to sync the missing blocks by range",
};

/**
 * The validator (store, chain, mempool, consensus, API) over a p2p host that outlives it.
 * Every `lagCheckIntervalMs` it asks its peers' heads; once f+1 of them are lagBlocksMin or
 * more ahead (further than consensus fetching is meant to cover), or ahead at all while its
 * own head has not moved for `stalledBehindMs` (nothing told consensus what it missed) or its
 * consensus host hears a later epoch from more than a third of the power (it missed a switch:
 * checked at once, not at the next interval), it leaves consensus, syncs by range and rejoins
 * with a new consensus host (`RunningValidator.resync`): the store, mempool, API and every p2p
 * connection stay up, and it keeps serving sync to its peers.
 */
class ResyncingValidator {
  private readonly opts: P2pValidatorOptions;
  private readonly modules: ResyncingModules;
  private validator: RunningValidator | null = null;
  /** The lag check, which also runs each re-sync (stop waits for the one under way). */
  private readonly lagChecks: RepeatingCheck;
  /** The head at the lag checks and since when (monotonic ms) it has not moved. */
  private headSeen: { height: number; sinceMs: number } | null = null;
  resyncs = 0;

  constructor(opts: P2pValidatorOptions, modules: ResyncingModules) {
    this.opts = opts;
    this.modules = modules;
    this.lagChecks = new RepeatingCheck({ intervalMs: modules.sync.options.lagCheckIntervalMs }, {
      check: () => this.checkLag(),
      onError: (err) => modules.logger.error({ err }, "Checking whether this validator fell behind failed"),
    });
  }

  async start(): Promise<void> {
    this.validator = await this.startValidator();
    this.lagChecks.start();
  }

  async stop(): Promise<void> {
    await this.lagChecks.stop();
    this.modules.sync.stopServing();
    await this.validator?.stop();
  }

  /** The running validator as callers see it, with the p2p parts and re-sync counters. */
  view(stop: () => Promise<void>): RunningP2pValidator {
    const self = this;
    const validator = this.validator;
    assert(validator !== null, "ResyncingValidator.view: started");
    const { host, network, sync } = this.modules;
    return {
      index: validator.index,
      get host() { return validator.host; },
      chain: validator.chain,
      mempool: validator.mempool,
      api: validator.api,
      get resyncs() { return self.resyncs; },
      get resyncing() { return validator.resyncing; },
      walSync: validator.walSync,
      ownTxs: validator.ownTxs,
      resync: (work) => validator.resync(work),
      p2p: host,
      network,
      sync,
      stop,
    };
  }

  private async startValidator(): Promise<RunningValidator> {
    const { opts, modules } = this;
    const { network, sync } = modules;
    // Set before the first consensus host starts (beforeConsensus runs first).
    let served: Chain | null = null;
    const beforeConsensus = async ({ chain, app, onCommitted }: ValidatorParts): Promise<void> => {
      served = chain;
      await sync.serve(chain);
      // An empty chain (a fresh home) syncs any lag: consensus then starts on a root whose QC
      // shows whether this key signed lately elsewhere, not at view 1, which it may have led.
      await sync.catchUp(chain, app, onCommitted, chain.head.height === 0 ? 1 : sync.startLagBlocksMin);
    };
    const timing = opts.timing === undefined ? {} : { timing: opts.timing };
    const clock = modules.clock === undefined ? {} : { clock: modules.clock };
    // Node metrics in a registry merged with the p2p host's.
    const registry = Registry.merge([modules.registry]);
    // Every consensus host (the first, and each after a re-sync): validators of every set this
    // node runs with may connect, whether or not genesis or p2p.allow names them.
    const onConsensusHost = (consensusHost: ConsensusHost): void => {
      consensusHost.on("epoch", ({ label }) => {
        assert(served !== null, "ResyncingValidator: consensus starts after beforeConsensus");
        for (const member of served.validatorSets.forEpoch(label).set.validators) modules.host.allowIdentity(member.address);
      });
      // A failed commit stops the validator for good (validatorNode): never re-sync it.
      consensusHost.on("error", () => void this.lagChecks.stop());
      consensusHost.on("behindAnEpoch", () => this.lagChecks.soon());
    };
    const validator = await startValidatorNode({ home: opts.home, config: opts.config, genesis: opts.genesis, beforeConsensus, onConsensusHost, resumeSigning: opts.resumeSigning === true, ...timing }, { key: modules.key, network, logger: modules.logger, registry, ...clock });
    // Stems are verified by mempool admission, so they are served once the validator runs.
    const { mempool } = validator;
    network.stemRelay?.setAdmission({
      admit: async (bytes) => {
        const poolTx = await mempool.admit(bytes);
        return () => validator.host.notifyAdmitted(poolTx, bytes, { relayed: true });
      },
    });
    return validator;
  }

  private async checkLag(): Promise<void> {
    const { sync, logger } = this.modules;
    const validator = this.validator;
    if (validator === null || this.lagChecks.stopped) return;
    const height = validator.chain.head.height;
    const nowMs = performance.now();
    if (this.headSeen === null || this.headSeen.height !== height) this.headSeen = { height, sinceMs: nowMs };
    const peerHeight = await sync.peerHeadHeight(height);
    if (this.lagChecks.stopped) return;
    const stalledMs = Math.round(nowMs - this.headSeen.sinceMs);
    const verdict = lagVerdict({ height, heightNow: validator.chain.head.height, peerHeight, stalledMs, behindAnEpoch: validator.host.behindAnEpoch }, sync.options);
    if (verdict === null) return;
    logger.warn({ height, peerHeight, stalledMs }, LAG_VERDICT_MESSAGES[verdict.kind]);
    const { syncLagBlocksMin } = verdict;
    this.resyncs++;
    try {
      await validator.resync(({ chain, app, onCommitted }) => sync.catchUp(chain, app, onCommitted, syncLagBlocksMin));
      logger.info({ height: validator.chain.head.height, blocksSynced: sync.blocksSynced }, "Re-synced; back in consensus");
    } catch (err) {
      logger.error({ err }, "The validator could not rejoin consensus after syncing; stopping");
      void this.lagChecks.stop();
    }
  }
}
