/**
 * Per-channel health for dial ordering. A channel that failed a dial is tried after the
 * healthy ones until its cool-down ends (never skipped: when everything is down, the least
 * recently failed way out is still worth a try). A success clears the mark at once.
 */
import { assert } from "../../util/index.ts";

export type ChannelHealthState = {
  readonly name: string;
  /** Consecutive failed dials; 0 after a success. */
  readonly failuresConsecutive: number;
  /** While now < this, the channel is tried last; null when healthy. */
  readonly cooldownUntilMs: number | null;
};

type Entry = { failuresConsecutive: number; cooldownUntilMs: number | null };

export class ChannelHealth {
  private readonly names: readonly string[];
  private readonly cooldownMs: number;
  private readonly entries = new Map<string, Entry>();

  constructor(names: readonly string[], cooldownMs: number) {
    assert(new Set(names).size === names.length, "ChannelHealth: names are unique");
    assert(Number.isSafeInteger(cooldownMs) && cooldownMs >= 0, "ChannelHealth: cooldownMs is a non-negative integer");
    this.names = [...names];
    this.cooldownMs = cooldownMs;
    for (const name of names) this.entries.set(name, { failuresConsecutive: 0, cooldownUntilMs: null });
  }

  recordSuccess(name: string): void {
    const entry = this.entry(name);
    entry.failuresConsecutive = 0;
    entry.cooldownUntilMs = null;
  }

  recordFailure(name: string, nowMs: number): void {
    const entry = this.entry(name);
    entry.failuresConsecutive += 1;
    entry.cooldownUntilMs = nowMs + this.cooldownMs;
  }

  isCoolingDown(name: string, nowMs: number): boolean {
    const until = this.entry(name).cooldownUntilMs;
    return until !== null && nowMs < until;
  }

  /** Healthy channels in configured order, then cooling-down ones, earliest cool-down end first. */
  order(nowMs: number): string[] {
    const healthy = this.names.filter((name) => !this.isCoolingDown(name, nowMs));
    const cooling = this.names
      .filter((name) => this.isCoolingDown(name, nowMs))
      .sort((a, b) => (this.entry(a).cooldownUntilMs ?? 0) - (this.entry(b).cooldownUntilMs ?? 0));
    assert(healthy.length + cooling.length === this.names.length, "ChannelHealth: order lists every channel once");
    return [...healthy, ...cooling];
  }

  states(): ChannelHealthState[] {
    return this.names.map((name) => ({ name, ...this.entry(name) }));
  }

  private entry(name: string): Entry {
    const entry = this.entries.get(name);
    assert(entry !== undefined, `ChannelHealth: unknown channel ${name}`);
    return entry;
  }
}
