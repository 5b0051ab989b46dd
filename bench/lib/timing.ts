/** Timing and concurrency helpers shared by the benches. */

export function nowMs(): number {
  return performance.now();
}

/**
 * CPU time of the whole process (every thread, user + system), in ms. The machine may be
 * shared: wall-clock rates then drop with other work, but CPU time per unit of work does not,
 * so the benches report both.
 */
export function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** A wall-clock and CPU stopwatch. */
export function startStopwatch(): () => { elapsedMs: number; cpuMs: number } {
  const wallStart = nowMs();
  const cpuStart = cpuMs();
  return () => ({ elapsedMs: nowMs() - wallStart, cpuMs: cpuMs() - cpuStart });
}

/** Progress goes to stderr: stdout carries exactly one JSON document. */
export function progress(message: string): void {
  process.stderr.write(`[bench ${(nowMs() / 1000).toFixed(1)}s] ${message}\n`);
}

/** The q-quantile (0 to 1) of values sorted ascending: the value at rank floor(q × n), the last for q = 1; 0 when there are none. */
export function quantileOfSorted(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

export function perSecond(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? Math.round((count * 1000) / elapsedMs) : 0;
}

/**
 * Runs `task` over every item with at most `inFlightMax` running at once, in item order,
 * and resolves when all have settled. The first failure rejects (the bench must fail loudly,
 * never report a rate over work that did not happen).
 */
export function runBounded<T>(items: readonly T[], inFlightMax: number, task: (item: T, index: number) => Promise<unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let active = 0;
    let failed = false;
    const pump = (): void => {
      while (!failed && active < inFlightMax && next < items.length) {
        const index = next++;
        active++;
        task(items[index] as T, index).then(
          () => {
            active--;
            if (next === items.length && active === 0) resolve();
            else pump();
          },
          (err: unknown) => {
            failed = true;
            reject(err);
          },
        );
      }
      if (items.length === 0) resolve();
    };
    pump();
  });
}
