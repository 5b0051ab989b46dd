/**
 * One simulated run: n real consensus engines on virtual time, one seeded RNG, a lossy
 * partitionable network, crashes and Byzantine keys. Two phases: adversarial until an honest
 * node reaches `views` (then GST: partitions heal, loss stops, crashed nodes restart), and
 * settling, in which every live honest node must commit `livenessBlocksMin` new blocks and
 * all evidence seen before GST (equivocations, invalid proposals) must be committed, within
 * `livenessViewsMax` views. The same seed replays the same run, event for event.
 */
import { blockHashOf, createCommittee, LeaderSilence, leaderOf, NO_SIGNING_RESERVATION, reservationDue, viewTimeoutMaxMs, type ConsensusAction, type ConsensusEngine, type ConsensusMessage, type Committee, type SafetyState } from "../consensus/index.ts";
import { hashGenesis, type ValidatorSet } from "../ledger/index.ts";
import { toHex } from "../util/index.ts";
import { genesisSimState } from "./app.ts";
import { createAdversary } from "./byzantine.ts";
import { SimChecker, ViolationKind, type Violation } from "./checkers.ts";
import { EventQueue } from "./eventQueue.ts";
import { createSimKeyring, type SimKeyring } from "./keys.ts";
import { SimNetwork, type DeliverEvent } from "./network.ts";
import { checkSimOptions, honestPowerOf, powerTotalOf, SimBehavior, type ByzantineRole, byzantineRoles, type SimOptions } from "./options.ts";
import { Rng } from "./rng.ts";
import { bootSimNode, createSimStore, storeCommit, storeEvidence, storeSavedBlock, type SimNode, type SimWorldParams } from "./simNode.ts";

type SimEvent =
  | DeliverEvent
  | { readonly kind: "start"; readonly node: number }
  | { readonly kind: "timer"; readonly node: number; readonly token: number; readonly view: number }
  | { readonly kind: "signed"; readonly node: number; readonly incarnation: number; readonly requestId: number; readonly message: Uint8Array }
  | { readonly kind: "crash" }
  | { readonly kind: "restart"; readonly node: number; readonly incarnation: number }
  | { readonly kind: "partitionStart"; readonly twinSplit: boolean; readonly durationMs: number }
  | { readonly kind: "partitionEnd" };

export type SimRunResult = {
  readonly seed: number;
  /** Height of the chain committed by honest nodes. */
  readonly committedBlocks: number;
  readonly violations: readonly Violation[];
  readonly safetyViolations: number;
  readonly livenessFailures: number;
  readonly evidenceDetected: number;
  readonly evidenceCommitted: number;
  /** Of evidenceCommitted: structurally invalid proposals (the rest are equivocations). */
  readonly invalidProposalEvidenceCommitted: number;
  readonly evidenceMissing: number;
  readonly latenciesMs: readonly number[];
  readonly messagesTotal: number;
  readonly bytesTotal: number;
  readonly messagesByType: Readonly<Record<string, number>>;
  readonly bytesByType: Readonly<Record<string, number>>;
  readonly virtualTimeMs: number;
  readonly gstMs: number;
  /** GST to the moment every live honest node had committed the liveness target; null if it never did. */
  readonly recoveryMs: number | null;
  readonly events: number;
  readonly crashes: number;
  /** Crashes that also wiped the node's store. */
  readonly wipes: number;
  /** Honest engines' sightings of their key signing where they did not (a wiped store's former self). */
  readonly signedElsewhere: number;
  /** Views honest nodes timed out at once because their leader was absent (SimOptions.absentLeaders). */
  readonly absentLeaderTimeouts: number;
  readonly roles: readonly string[];
  readonly signatures: number;
  readonly verifications: number;
  readonly verificationCacheHits: number;
};

/** Hard stop for a run, far beyond any healthy one: a run this long is a liveness failure. */
const SIM_EVENTS_MAX = 5_000_000;
const CHAIN_ID = "sim";

export function runSimulation(opts: SimOptions): SimRunResult {
  checkSimOptions(opts);
  return new Simulation(opts).run();
}

export class Simulation {
  private readonly opts: SimOptions;
  private readonly rng: Rng;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly keyring: SimKeyring;
  private readonly committee: Committee;
  private readonly world: SimWorldParams;
  private readonly nodes: SimNode[] = [];
  private readonly network: SimNetwork;
  private readonly checker: SimChecker;
  private readonly roles: ("honest" | ByzantineRole)[];
  private nowMs = 0;
  private events = 0;
  private crashes = 0;
  private absentLeaderTimeouts = 0;
  private wipes = 0;
  private signedElsewhere = 0;
  private maxHonestView = 0;
  private gstMs = -1;
  private recoveryMs: number | null = null;
  private gstView = 0;
  private gstHeight = 0;
  private finished = false;
  /** After GST, commits must resume within this much virtual time (besides the view bound). */
  private readonly settleMsMax: number;

  constructor(opts: SimOptions) {
    this.opts = opts;
    this.settleMsMax = opts.livenessViewsMax * viewTimeoutMaxMs(opts.timing);
    this.rng = new Rng(opts.seed);
    this.keyring = createSimKeyring(this.rng, opts.validators, opts.scheme);
    this.roles = this.assignRoles();
    const honestPower = honestPowerOf(opts);
    const validatorSet: ValidatorSet = { validators: this.keyring.validators.map((v, i) => (this.roles[i] === "honest" ? { ...v, power: honestPower } : v)) };
    this.committee = createCommittee(validatorSet);
    const genesisHash = hashGenesis({ chainId: CHAIN_ID, genesisTime: 0, validators: validatorSet.validators });
    const genesisState = genesisSimState(genesisHash);
    this.world = {
      chainId: CHAIN_ID,
      validatorSet,
      validatorSetHash: this.committee.hash,
      genesisHash,
      genesisState,
      verifier: this.keyring.verifier,
      timing: opts.timing,
      voteDelivery: opts.voteDelivery,
      nowMs: () => this.nowMs,
    };
    this.createNodes();
    const honestKeys = new Set(this.roles.flatMap((role, key) => (role === "honest" ? [key] : [])));
    this.checker = new SimChecker(this.committee, honestKeys, genesisHash, genesisState);
    const signatureBytes = this.keyring.keys[0]?.sign(new Uint8Array(32)).byteLength ?? 0;
    this.network = new SimNetwork({ rng: this.rng, options: opts.network, instanceKeys: this.nodes.map((n) => n.keyIndex), measureBytes: opts.measureBytes, signatureBytes });
    this.network.setFaults(opts.faults.dropPpm, opts.network.duplicatePpm);
  }

  /** Byzantine keys are a random subset; "mixed" draws each key's behaviour. */
  private assignRoles(): ("honest" | ByzantineRole)[] {
    const roles: ("honest" | ByzantineRole)[] = Array.from({ length: this.opts.validators }, () => "honest");
    const byzantineKeys = this.rng.shuffle(roles.map((_, i) => i)).slice(0, this.opts.byzantine);
    for (const key of byzantineKeys) {
      const behavior = this.opts.behavior;
      roles[key] = behavior === SimBehavior.mixed ? this.rng.pick(byzantineRoles) : (behavior as ByzantineRole);
    }
    return roles;
  }

  private createNodes(): void {
    this.roles.forEach((role, keyIndex) => {
      const key = this.keyring.keys[keyIndex];
      if (key === undefined) throw new Error("createNodes: key exists");
      const copies = role === "twins" ? 2 : 1;
      for (let copy = 0; copy < copies; copy++) {
        const id = this.nodes.length;
        const adversary = role === "honest" ? null : createAdversary(role, { chainId: CHAIN_ID, validatorCount: this.opts.validators, key, signatureSizeBytes: key.sign(new Uint8Array(32)).byteLength, rng: this.rng });
        // Twins' clocks differ by at least 1 ms, so their blocks for one view differ.
        const clockSkewMs = role === "twins" ? copy * (1 + this.rng.below(3)) : this.rng.below(3);
        this.nodes.push({ id, keyIndex, role, honest: role === "honest", adversary, clockSkewMs, key, store: createSimStore(), reservation: NO_SIGNING_RESERVATION, engine: null, incarnation: 0, timerToken: 0, silence: null, absentLeaderTimedOutView: -1 });
      }
    });
  }

  run(): SimRunResult {
    for (const node of this.nodes) this.queue.push(this.rng.below(20), { kind: "start", node: node.id });
    this.scheduleFaults();
    while (!this.finished) {
      const next = this.queue.pop();
      if (next === undefined) {
        this.checker.reportLiveness("event queue ran dry", this.nowMs);
        break;
      }
      this.nowMs = next.timeMs;
      this.handle(next.event);
      if (++this.events >= SIM_EVENTS_MAX) {
        this.checker.reportLiveness(`no verdict after ${SIM_EVENTS_MAX} events`, this.nowMs);
        break;
      }
      this.checkPhase();
    }
    return this.result();
  }

  private scheduleFaults(): void {
    const { faults } = this.opts;
    const twins = this.roles.includes("twins");
    // The adversary's best opening against twins: split the twins' halves at once, for long.
    if (twins) this.queue.push(this.rng.below(500), { kind: "partitionStart", twinSplit: true, durationMs: faults.partitionDurationMs[1] });
    else if (faults.partitions) this.schedulePartition();
    if (faults.crashes) this.queue.push(this.rng.between(faults.crashGapMs[0], faults.crashGapMs[1]), { kind: "crash" });
  }

  private schedulePartition(): void {
    const { faults } = this.opts;
    const twinSplit = this.roles.includes("twins") && this.rng.chance(500_000);
    const durationMs = this.rng.between(faults.partitionDurationMs[0], faults.partitionDurationMs[1]);
    this.queue.push(this.nowMs + this.rng.between(faults.partitionGapMs[0], faults.partitionGapMs[1]), { kind: "partitionStart", twinSplit, durationMs });
  }

  private handle(event: SimEvent): void {
    switch (event.kind) {
      case "deliver":
        return this.deliver(event.to, event.message);
      case "start": {
        const node = this.nodes[event.node] as SimNode;
        return this.perform(node, this.boot(node).start().actions);
      }
      case "timer": {
        const node = this.nodes[event.node] as SimNode;
        if (node.engine === null || event.token !== node.timerToken) return;
        return this.perform(node, node.engine.onLocalTimer(event.view).actions);
      }
      case "signed": {
        const node = this.nodes[event.node] as SimNode;
        // A crash loses signatures in flight, as it loses a threadpool job.
        if (node.engine === null || event.incarnation !== node.incarnation) return;
        return this.perform(node, node.engine.onSignature(event.requestId, node.key.sign(event.message)).actions);
      }
      case "crash":
        return this.crashRandomHonest();
      case "restart":
        return this.restart(event.node, event.incarnation);
      case "partitionStart":
        return this.startPartition(event.twinSplit, event.durationMs);
      case "partitionEnd":
        this.network.partition(null);
        if (this.gstMs < 0 && (this.opts.faults.partitions || this.roles.includes("twins"))) this.schedulePartition();
        return;
    }
  }

  private deliver(to: number, message: ConsensusMessage): void {
    const node = this.nodes[to] as SimNode;
    if (node.engine === null) return;
    node.silence?.heard(message.sender);
    this.perform(node, node.engine.onMessage(message).actions);
  }

  // ---- actions (the host side of the engine contract) -----------------------------------

  private perform(node: SimNode, engineActions: readonly ConsensusAction[]): void {
    for (const engineAction of engineActions) {
      const actions = node.adversary === null ? [engineAction] : node.adversary.transform(engineAction);
      for (const action of actions) {
        if (node.engine === null) return;
        this.performOne(node, action);
      }
    }
  }

  private performOne(node: SimNode, action: ConsensusAction): void {
    switch (action.kind) {
      case "persistSafety":
        if (node.honest) this.reserve(node, action.state);
        node.store.safety = action.state;
        // The crash the safety write exists for: after the write, before the send.
        if (node.honest && this.canCrashHonest() && this.rng.chance(this.opts.faults.crashAfterPersistPpm)) this.crash(node);
        return;
      case "send":
        if (node.honest) this.observeSend(node, action.message);
        else if (action.message.type === "proposal") this.checker.onProposalSent(node.keyIndex, action.message.block.header.view, toHex(blockHashOf(action.message.block)), this.nowMs);
        this.network.send(node.id, action.to, action.message, this.nowMs, this.queue);
        return;
      case "saveBlock":
        storeSavedBlock(node, action.block, action.hash);
        return;
      case "sign": {
        const [min, max] = this.opts.signDelayMs;
        this.queue.push(this.nowMs + this.rng.between(min, max), { kind: "signed", node: node.id, incarnation: node.incarnation, requestId: action.requestId, message: action.message });
        return;
      }
      case "setTimer":
        node.timerToken++;
        this.queue.push(this.nowMs + (this.isLeaderAbsent(node, action.view) ? 0 : action.delayMs), { kind: "timer", node: node.id, token: node.timerToken, view: action.view });
        if (node.honest && action.view > this.maxHonestView) this.maxHonestView = action.view;
        return;
      case "commit":
        storeCommit(node, action.blocks);
        if (node.honest) this.checker.onCommit(node.id, action.blocks, this.nowMs);
        return;
      case "evidence":
        storeEvidence(node, action.evidence);
        if (node.honest) this.checker.onEvidenceDetected(action.evidence, this.nowMs);
        return;
      case "signedElsewhere":
        if (node.honest) this.signedElsewhere++;
        return;
      case "epochChange":
        throw new Error("the simulator runs one epoch; the sim app never changes the validator set");
    }
  }

  /**
   * The host's rule (node/consensus/host.ts leaderAbsence), once per view: the view's leader is
   * crashed in every instance of its key, or silent for too many views with votes to all.
   */
  private isLeaderAbsent(node: SimNode, view: number): boolean {
    const silence = node.silence;
    if (silence === null) return false;
    silence.enter(view);
    const leader = leaderOf(this.committee, view);
    if (leader === node.keyIndex || node.absentLeaderTimedOutView === view) return false;
    const crashed = this.nodes.every((other) => other.keyIndex !== leader || other.engine === null);
    if (!crashed && !silence.isSilent(leader)) return false;
    node.absentLeaderTimedOutView = view;
    this.absentLeaderTimeouts++;
    return true;
  }

  /** What honest keys sign becomes visible here (and in QCs they forward). */
  private observeSend(node: SimNode, message: ConsensusMessage): void {
    if (message.type === "vote") this.checker.onVoteSeen(node.keyIndex, message.view, toHex(message.blockHash), this.nowMs);
    else if (message.type === "proposal") {
      const { header } = message.block;
      const hashHex = toHex(blockHashOf(message.block));
      this.checker.onProposalSent(node.keyIndex, header.view, hashHex, this.nowMs);
      // Its signature is the leader's vote: it must agree with any vote message of the view.
      this.checker.onVoteSeen(node.keyIndex, header.view, hashHex, this.nowMs);
      if (header.justify !== null) this.checker.onQcSeen(header.justify, this.nowMs);
    } else if ((message.type === "timeout" || message.type === "syncInfo") && message.highQc !== null) this.checker.onQcSeen(message.highQc, this.nowMs);
  }

  // ---- faults ------------------------------------------------------------------------------

  private canCrashHonest(): boolean {
    return this.gstMs < 0 && this.opts.faults.crashes && this.nodes.every((n) => !n.honest || n.engine !== null);
  }

  private crashRandomHonest(): void {
    if (this.gstMs >= 0) return;
    const { faults } = this.opts;
    const live = this.nodes.filter((n) => n.honest && n.engine !== null);
    if (this.canCrashHonest() && live.length > 0) this.crash(this.rng.pick(live));
    this.queue.push(this.nowMs + this.rng.between(faults.crashGapMs[0], faults.crashGapMs[1]), { kind: "crash" });
  }

  /**
   * A wiped validator is a fault (it lost the chain and what it signed) until it catches up
   * and its views pass its reservation; counted as one for the rest of the run, a wipe is
   * allowed only while the Byzantine power plus every wiped validator's, this one included,
   * stays under a third. Without the bound, crashes wiped every honest store in turn and the
   * committed chain survived on fewer than a third of the validators.
   */
  private wipeWithinBound(): boolean {
    const honestPower = honestPowerOf(this.opts);
    return 3 * (this.opts.byzantine + (this.wipes + 1) * honestPower) < powerTotalOf(this.opts);
  }

  /** The host's signing reservation: made durable before the safety state that signs past it. */
  private reserve(node: SimNode, state: SafetyState): void {
    if (this.opts.signingReservationViews === 0) return;
    // Durable at once: the simulator has no write to wait for.
    const reservation = reservationDue(node.reservation, state, this.opts.signingReservationViews);
    if (reservation !== null) node.reservation = reservation;
  }

  private crash(node: SimNode): void {
    node.engine = null;
    node.incarnation++;
    this.crashes++;
    // Drawn only when wipes are on, so runs without them replay as before.
    if (this.opts.faults.wipePpm > 0 && this.wipeWithinBound() && this.rng.chance(this.opts.faults.wipePpm)) {
      node.store = createSimStore();
      this.checker.onWipe(node.id);
      this.wipes++;
    }
    const { crashDowntimeMs } = this.opts.faults;
    this.queue.push(this.nowMs + this.rng.between(crashDowntimeMs[0], crashDowntimeMs[1]), { kind: "restart", node: node.id, incarnation: node.incarnation });
  }

  private restart(id: number, incarnation: number): void {
    const node = this.nodes[id] as SimNode;
    if (node.engine !== null || node.incarnation !== incarnation) return;
    node.incarnation++;
    this.perform(node, this.boot(node).start().actions);
  }

  /** A fresh engine, and for an honest node with absentLeaders a fresh watch of who is silent (a restarted host's). */
  private boot(node: SimNode): ConsensusEngine {
    node.silence = this.opts.absentLeaders && node.honest ? new LeaderSilence(this.committee.count, this.opts.voteDelivery) : null;
    node.absentLeaderTimedOutView = -1;
    return bootSimNode(node, this.world);
  }

  private startPartition(twinSplit: boolean, durationMs: number): void {
    if (this.gstMs >= 0) return;
    const groups = new Int32Array(this.nodes.length);
    if (twinSplit) {
      // Honest keys split in halves; each twin's first copy joins one half, its second the other.
      const honest = this.rng.shuffle(this.nodes.filter((n) => n.honest).map((n) => n.id));
      honest.forEach((id, i) => (groups[id] = i < Math.ceil(honest.length / 2) ? 0 : 1));
      const seenKeys = new Set<number>();
      for (const node of this.nodes) {
        if (node.honest) continue;
        if (node.role === "twins") groups[node.id] = seenKeys.has(node.keyIndex) ? 1 : 0;
        else groups[node.id] = this.rng.below(2);
        seenKeys.add(node.keyIndex);
      }
    } else {
      const order = this.rng.shuffle(this.nodes.map((n) => n.id));
      const cut = 1 + this.rng.below(order.length - 1);
      order.forEach((id, i) => (groups[id] = i < cut ? 0 : 1));
    }
    this.network.partition(groups);
    this.queue.push(this.nowMs + durationMs, { kind: "partitionEnd" });
  }

  // ---- phases and verdicts -----------------------------------------------------------------

  private honestCommittedHeight(node: SimNode): number {
    return node.store.committed.length;
  }

  private checkPhase(): void {
    if (this.gstMs < 0) {
      const adversityMsMax = this.opts.views * this.opts.timing.viewTimeoutBaseMs * 8;
      if (this.maxHonestView >= this.opts.views || this.nowMs >= adversityMsMax) this.enterGst();
      return;
    }
    const honest = this.nodes.filter((n) => n.honest);
    const target = this.gstHeight + this.opts.livenessBlocksMin;
    const caughtUp = honest.every((n) => this.honestCommittedHeight(n) >= target);
    if (caughtUp && this.checker.evidenceMissing(this.gstMs).length === 0) {
      this.recoveryMs = this.nowMs - this.gstMs;
      this.finished = true;
      return;
    }
    if (this.maxHonestView > this.gstView + this.opts.livenessViewsMax || this.nowMs > this.gstMs + this.settleMsMax) {
      const lagging = honest.filter((n) => this.honestCommittedHeight(n) < target).map((n) => `${n.id}@${this.honestCommittedHeight(n)}`);
      if (lagging.length > 0) this.checker.reportLiveness(`after GST (view ${this.gstView}, height ${this.gstHeight}) nodes ${lagging.join(",")} did not reach height ${target} within ${this.opts.livenessViewsMax} views / ${this.settleMsMax} ms`, this.nowMs);
      this.checker.reportEvidenceMissing(this.gstMs, this.nowMs);
      this.finished = true;
    }
  }

  private enterGst(): void {
    this.gstMs = this.nowMs;
    this.gstView = this.maxHonestView;
    this.network.partition(null);
    this.network.setFaults(0, 0);
    for (const node of this.nodes) if (node.honest && node.engine === null) this.restart(node.id, node.incarnation);
    this.gstHeight = Math.max(0, ...this.nodes.filter((n) => n.honest).map((n) => this.honestCommittedHeight(n)));
  }

  /** One line per instance: what a failing run's report shows. */
  describeNodes(): string[] {
    return this.nodes.map((node) => {
      const stats = node.engine?.stats();
      const safety = node.store.safety;
      const engine = stats === undefined ? "crashed" : `view=${stats.view} highQc=${stats.highQcView} tree=${stats.treeBlocks} staged=${stats.stagedBlocks}`;
      return `node ${node.id} key=${node.keyIndex} ${node.role} committed=${node.store.committed.length} ${engine} lastVoted=${safety?.lastVotedView ?? "-"}`;
    });
  }

  private result(): SimRunResult {
    const violations = this.checker.violations;
    const count = (kinds: readonly string[]): number => violations.filter((v) => kinds.includes(v.kind)).length;
    return {
      seed: this.opts.seed,
      committedBlocks: this.checker.committedHeight,
      violations,
      safetyViolations: count([ViolationKind.agreement, ViolationKind.validity, ViolationKind.honestEquivocation, ViolationKind.falseEvidence]),
      livenessFailures: count([ViolationKind.liveness, ViolationKind.evidenceMissing]) > 0 ? 1 : 0,
      evidenceDetected: this.checker.evidenceDetectedCount,
      evidenceCommitted: this.checker.evidenceCommittedCount,
      invalidProposalEvidenceCommitted: this.checker.invalidProposalEvidenceCommittedCount,
      evidenceMissing: this.checker.evidenceMissing(this.gstMs < 0 ? this.nowMs : this.gstMs).length,
      latenciesMs: this.checker.latenciesMs,
      messagesTotal: this.network.messagesTotal,
      bytesTotal: this.network.bytesTotal,
      messagesByType: Object.fromEntries(this.network.messagesByType),
      bytesByType: Object.fromEntries(this.network.bytesByType),
      virtualTimeMs: this.nowMs,
      gstMs: this.gstMs,
      recoveryMs: this.recoveryMs,
      events: this.events,
      crashes: this.crashes,
      wipes: this.wipes,
      signedElsewhere: this.signedElsewhere,
      absentLeaderTimeouts: this.absentLeaderTimeouts,
      roles: this.roles,
      signatures: this.keyring.signatures(),
      verifications: this.keyring.verifier.stats().misses,
      verificationCacheHits: this.keyring.verifier.stats().hits,
    };
  }
}
