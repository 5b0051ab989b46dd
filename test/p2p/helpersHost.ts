import { DatabaseSync } from "node:sqlite";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { Registry } from "prom-client";
import { addressFromPublicKey, formatAddress, generateSigningKey, SignatureAlgorithm, type SigningKey } from "../../src/crypto/index.ts";
import { createP2pHost, type P2pHost, type P2pHostOptionsInput, type P2pLogger } from "../../src/p2p/index.ts";

export const TEST_CHAIN_ID = "ghostmesh-test";

export type HostKeys = { readonly peerPrivateKey: PrivateKey; readonly signingKey: SigningKey; readonly address: string };

export async function createHostKeys(): Promise<HostKeys> {
  const signingKey = generateSigningKey(SignatureAlgorithm.mlDsa65);
  return { peerPrivateKey: await generateKeyPair("Ed25519"), signingKey, address: formatAddress(addressFromPublicKey(signingKey.alg, signingKey.publicKey)) };
}

export type LogEntry = { readonly level: string; readonly message: string; readonly fields: object };

/** A logger that keeps entries for assertions instead of printing them. */
export function recordingLogger(entries: LogEntry[] = []): P2pLogger & { entries: LogEntry[] } {
  const log = (level: string) => (fields: object, message: string) => void entries.push({ level, message, fields });
  return { entries, info: log("info"), warn: log("warn"), error: log("error"), debug: log("debug") };
}

export type TestHost = {
  readonly host: P2pHost;
  readonly keys: HostKeys;
  readonly db: DatabaseSync;
  readonly registry: Registry;
  readonly logger: ReturnType<typeof recordingLogger>;
};

/** A started host on 127.0.0.1 with its own registry; `dbPath` defaults to an in-memory database. */
export async function startTestHost(
  opts: { keys?: HostKeys; dbPath?: string; options?: Partial<P2pHostOptionsInput> } = {},
): Promise<TestHost> {
  const keys = opts.keys ?? (await createHostKeys());
  const db = new DatabaseSync(opts.dbPath ?? ":memory:");
  const registry = new Registry();
  const logger = recordingLogger();
  const host = await createP2pHost(
    { chainId: TEST_CHAIN_ID, redialDelayMsMin: 100, redialDelayMsMax: 1000, ...opts.options },
    { peerPrivateKey: keys.peerPrivateKey, signingKey: keys.signingKey, logger, registry, db },
  );
  await host.start();
  return { host, keys, db, registry, logger };
}

export async function stopTestHosts(hosts: readonly (TestHost | undefined)[]): Promise<void> {
  await Promise.all(
    hosts.map(async (h) => {
      if (h === undefined) return;
      await h.host.stop();
      if (h.db.isOpen) h.db.close();
    }),
  );
}

/** Polls `condition` every 20 ms; fails with `what` after `timeoutMs` (generous: CI runs two test files at once on two shared cores). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Value of a counter (summed over label sets matching `labels`) in a registry. */
export async function counterValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([key, value]) => (v.labels as Record<string, unknown>)[key] === value))
    .reduce((sum, v) => sum + v.value, 0);
}
