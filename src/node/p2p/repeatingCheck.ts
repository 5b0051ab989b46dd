/**
 * An asynchronous check run every `intervalMs`, one at a time: the validator's lag check.
 * `soon()` asks for a check now. When one is under way, the next follows it at once instead
 * of an interval later, since what prompted the request may have come too late for the check
 * under way to see (a consensus host hearing of a later epoch while a lag check probes its
 * peers: before session 31 the request was dropped, and the validator waited a whole interval).
 */
export type RepeatingCheckOptions = { readonly intervalMs: number };

export type RepeatingCheckModules = {
  readonly check: () => Promise<void>;
  /** A check that threw; the checks go on. */
  readonly onError: (err: unknown) => void;
};

export class RepeatingCheck {
  readonly #opts: RepeatingCheckOptions;
  readonly #modules: RepeatingCheckModules;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #running: Promise<void> = Promise.resolve();
  #underWay = false;
  #againAtOnce = false;
  #stopped = false;

  constructor(opts: RepeatingCheckOptions, modules: RepeatingCheckModules) {
    this.#opts = opts;
    this.#modules = modules;
  }

  /** True once stop() was called: a check under way may end early. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Arms the first check an interval from now. */
  start(): void {
    this.#arm(this.#opts.intervalMs);
  }

  /** A check now, or right after the one under way. */
  soon(): void {
    if (this.#stopped) return;
    if (this.#underWay) {
      this.#againAtOnce = true;
      return;
    }
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#arm(0);
  }

  /** No check starts from now on; resolves once the one under way, if any, has ended (so a check must not await it). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  #arm(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#underWay = true;
      this.#againAtOnce = false;
      this.#running = this.#modules
        .check()
        .catch((err: unknown) => this.#modules.onError(err))
        .finally(() => {
          this.#underWay = false;
          this.#arm(this.#againAtOnce ? 0 : this.#opts.intervalMs);
        });
    }, delayMs);
  }
}
