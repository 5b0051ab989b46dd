/** The edge's injected effects, so the same wiring runs in tests with a fake-free test clock. */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };
/** Elapsed time that no wall-clock step moves: for intervals, never for timestamps. */
export const monotonicClock: Clock = { nowMs: () => Math.floor(performance.now()) };

/** The subset of pino's logger the node uses: (fields, message). */
export interface Logger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  debug(fields: object, message: string): void;
  child(bindings: object): Logger;
}
