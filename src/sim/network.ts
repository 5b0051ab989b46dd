/**
 * The simulated network: per-link base latency plus per-message jitter (so messages on one
 * link reorder), loss and duplication before GST, and partitions (a group per instance;
 * messages across groups are lost). Addresses are validator indices: a message to a twin's
 * key reaches both of its instances.
 */
import type { ConsensusMessage, ValidatorIndex } from "../consensus/index.ts";
import type { SimNetworkOptions } from "./options.ts";
import type { Rng } from "./rng.ts";
import { wireSizeBytes } from "./wireSize.ts";

export type DeliverEvent = { readonly kind: "deliver"; readonly to: number; readonly message: ConsensusMessage };

/** Where deliveries are scheduled (the simulation's event queue). */
export type DeliverySink = { push(timeMs: number, event: DeliverEvent): void };

export type SimNetworkParams = {
  readonly rng: Rng;
  readonly options: SimNetworkOptions;
  readonly instanceKeys: readonly ValidatorIndex[];
  readonly measureBytes: boolean;
  readonly signatureBytes: number;
};

export class SimNetwork {
  messagesTotal = 0;
  bytesTotal = 0;
  droppedTotal = 0;
  /** Per message type: point-to-point sends and (with measureBytes) their wire bytes. */
  readonly messagesByType = new Map<ConsensusMessage["type"], number>();
  readonly bytesByType = new Map<ConsensusMessage["type"], number>();
  private readonly params: SimNetworkParams;
  private readonly instanceCount: number;
  private readonly instancesByKey: number[][] = [];
  private readonly latencyMs: Int32Array;
  /** Group per instance while partitioned, else null. */
  private groups: Int32Array | null = null;
  /** Before GST: loss and duplication apply. */
  private lossyPpm = 0;
  private duplicatePpm = 0;

  constructor(params: SimNetworkParams) {
    this.params = params;
    this.instanceCount = params.instanceKeys.length;
    params.instanceKeys.forEach((key, instance) => {
      while (this.instancesByKey.length <= key) this.instancesByKey.push([]);
      (this.instancesByKey[key] as number[]).push(instance);
    });
    const { latencyMinMs, latencyMaxMs } = params.options;
    this.latencyMs = new Int32Array(this.instanceCount * this.instanceCount);
    for (let i = 0; i < this.latencyMs.length; i++) this.latencyMs[i] = params.rng.between(latencyMinMs, latencyMaxMs);
  }

  setFaults(dropPpm: number, duplicatePpm: number): void {
    this.lossyPpm = dropPpm;
    this.duplicatePpm = duplicatePpm;
  }

  partition(groups: Int32Array | null): void {
    this.groups = groups;
  }

  get isPartitioned(): boolean {
    return this.groups !== null;
  }

  instancesOf(key: ValidatorIndex): readonly number[] {
    return this.instancesByKey[key] ?? [];
  }

  send(from: number, to: "all" | ValidatorIndex, message: ConsensusMessage, nowMs: number, queue: DeliverySink): void {
    if (to === "all") {
      for (let target = 0; target < this.instanceCount; target++) if (target !== from) this.sendOne(from, target, message, nowMs, queue);
      return;
    }
    for (const target of this.instancesOf(to)) if (target !== from) this.sendOne(from, target, message, nowMs, queue);
  }

  private sendOne(from: number, to: number, message: ConsensusMessage, nowMs: number, queue: DeliverySink): void {
    const { rng, options } = this.params;
    this.messagesTotal++;
    this.messagesByType.set(message.type, (this.messagesByType.get(message.type) ?? 0) + 1);
    if (this.params.measureBytes) {
      const size = wireSizeBytes(message, this.params.signatureBytes);
      this.bytesTotal += size;
      this.bytesByType.set(message.type, (this.bytesByType.get(message.type) ?? 0) + size);
    }
    if ((this.groups !== null && this.groups[from] !== this.groups[to]) || rng.chance(this.lossyPpm)) {
      this.droppedTotal++;
      return;
    }
    const base = this.latencyMs[from * this.instanceCount + to] as number;
    queue.push(nowMs + base + rng.below(options.jitterMs + 1), { kind: "deliver", to, message });
    if (rng.chance(this.duplicatePpm)) queue.push(nowMs + base + rng.below(options.jitterMs + 1), { kind: "deliver", to, message });
  }
}
