/**
 * The raw ML-DSA verify limit, measured straight on node:crypto with pre-imported KeyObjects:
 * no decoding, no key lookup, no cache. The callback form of crypto.verify runs on libuv's
 * threadpool, so enough verifies in flight use every core (DESIGN §6).
 */
import { createPublicKey, verify as nodeVerify, type KeyObject } from "node:crypto";
import { sign, signatureAlgorithmName, type SigningKey } from "../../src/crypto/index.ts";
import type { PreparedTx } from "./txs.ts";
import { nowMs, perSecond, runBounded, startStopwatch } from "./timing.ts";

/** Far more than the threadpool has threads, so a thread never waits for the event loop. */
const VERIFY_IN_FLIGHT_MAX = 64;

/** `count` operations took `elapsedMs` of wall clock and `cpuMs` of process CPU (all threads). */
export type RateMeasurement = { readonly count: number; readonly elapsedMs: number; readonly cpuMs: number };

export type VerifySample = { readonly keyObject: KeyObject; readonly message: Uint8Array; readonly signature: Uint8Array };

/** The exact (key, message, signature) triples that admission of `txs` verifies. */
export function verifySamples(txs: readonly PreparedTx[]): VerifySample[] {
  const keyObjects = new Map<Uint8Array, KeyObject>();
  return txs.map((tx) => {
    let keyObject = keyObjects.get(tx.key.publicKey);
    if (keyObject === undefined) {
      const asymmetricKeyType = signatureAlgorithmName(tx.key.alg).toLowerCase() as "ml-dsa-65";
      keyObject = createPublicKey({ key: Buffer.from(tx.key.publicKey), format: "raw-public", asymmetricKeyType });
      keyObjects.set(tx.key.publicKey, keyObject);
    }
    return { keyObject, message: tx.hash, signature: tx.sig };
  });
}

/** One core: synchronous verifies on the calling thread, for at least `durationMs`. */
export function measureVerifySyncPerSecond(samples: readonly VerifySample[], durationMs: number): number {
  let count = 0;
  const started = nowMs();
  while (nowMs() - started < durationMs) {
    const sample = samples[count % samples.length] as VerifySample;
    if (!nodeVerify(null, sample.message, sample.keyObject, sample.signature)) throw new Error("bench: a prepared signature does not verify");
    count++;
  }
  return perSecond(count, nowMs() - started);
}

/** All cores: every sample verified once on the threadpool, `VERIFY_IN_FLIGHT_MAX` at a time. */
export async function measureVerifyAllCores(samples: readonly VerifySample[]): Promise<RateMeasurement> {
  const stop = startStopwatch();
  await runBounded(samples, VERIFY_IN_FLIGHT_MAX, (sample) => verifyOnThreadpool(sample));
  return { count: samples.length, ...stop() };
}

function verifyOnThreadpool(sample: VerifySample): Promise<void> {
  return new Promise((resolve, reject) => {
    nodeVerify(null, sample.message, sample.keyObject, sample.signature, (err, valid) => {
      if (err !== null) reject(err);
      else if (!valid) reject(new Error("bench: a prepared signature does not verify"));
      else resolve();
    });
  });
}

/** All cores, one key: `samples` verifies of one signature by `key`; verifies per second. */
export async function measureKeyVerifyPerSecondAllCores(key: SigningKey, samples: number): Promise<number> {
  const message = new Uint8Array(32).fill(1);
  const signature = sign(key, message);
  const keyObject = createPublicKey({ key: Buffer.from(key.publicKey), format: "raw-public", asymmetricKeyType: signatureAlgorithmName(key.alg).toLowerCase() as "ml-dsa-65" });
  const measured = await measureVerifyAllCores(Array.from({ length: samples }, () => ({ keyObject, message, signature })));
  return perSecond(measured.count, measured.elapsedMs);
}

/** Rounds of the hand-off measurement: enough for a steady mean, little enough for ~1 s. */
const HANDOFF_ROUNDS = 300;
/** Long enough for the threadpool's threads to go back to sleep between rounds. */
const HANDOFF_PAUSE_MS = 1;

/**
 * What handing one verify to an idle threadpool costs the event loop beyond the check itself,
 * in µs of the loop's CPU: waking a worker thread, then being woken by its completion. Measured
 * one verify at a time with a pause between (so the pool sleeps, as between a block's messages),
 * minus the same rounds without a verify. On a VM, waking a thread on another vCPU is dear.
 */
export async function measureThreadpoolHandoffLoopCpuUs(samples: readonly VerifySample[]): Promise<number> {
  const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, HANDOFF_PAUSE_MS));
  const loopCpuUsOf = async (round: (i: number) => Promise<void>): Promise<number> => {
    const before = process.threadCpuUsage();
    for (let i = 0; i < HANDOFF_ROUNDS; i++) {
      await round(i);
      await pause();
    }
    const used = process.threadCpuUsage(before);
    return (used.user + used.system) / HANDOFF_ROUNDS;
  };
  const withVerify = await loopCpuUsOf((i) => verifyOnThreadpool(samples[i % samples.length] as VerifySample));
  const pausesOnly = await loopCpuUsOf(() => Promise.resolve());
  return Math.max(0, Math.round(withVerify - pausesOnly));
}
