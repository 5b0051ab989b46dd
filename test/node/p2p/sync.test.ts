/**
 * Block sync by range: a validator that was down while the others committed many blocks
 * (more than lagBlocksMin, lowered here from 1,024 to 4 to keep the test short) commits the
 * missing blocks from a peer, checked block by block, before its consensus starts, then
 * rejoins consensus and holds the same chain as the others. At start the threshold is one
 * consensus fetch (32 blocks) even with the default lagBlocksMin, and any lag from an empty chain.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { GhostmeshClient } from "../../../src/client/index.ts";
import { SIGNED_ELSEWHERE_QUARANTINE_VIEWS } from "../../../src/consensus/ownSignatures.ts";
import { prepareDevnetHomes } from "../../../src/node/consensus/index.ts";
import { ConsensusStore } from "../../../src/node/consensus/consensusStore.ts";
import { configureP2pDevnet, findFreePorts, type RunningP2pValidator } from "../../../src/node/p2p/index.ts";
import type { Logger } from "../../../src/node/types.ts";
import { blockHashes, CHAIN_ID, newAccount, signNext, waitFor } from "../consensus/cluster.ts";
import { startMeshValidator, type ValidatorMeshOptions } from "./validatorMesh.ts";

type LogLine = { readonly level: "debug" | "info" | "warn" | "error"; readonly message: string };

/** A logger that keeps every line, in order, whatever the level. */
function recordingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine["level"]) => (_fields: object, message: string) => void lines.push({ level, message });
  const logger: Logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), child: () => logger };
  return { logger, lines };
}

const TIMING = { viewTimeoutBaseMs: 1000, backoffPercent: 200, backoffExponentMax: 3 };
const LAG_BLOCKS_MIN = 4;

type Homes = ReturnType<typeof prepareDevnetHomes>;

/** Starts validator i of `homes` into `validators[i]` (`extra` overrides options for this one). */
function starter(homes: Homes, validators: (RunningP2pValidator | null)[], opts: ValidatorMeshOptions) {
  return async (i: number, extra: Partial<ValidatorMeshOptions> = {}): Promise<RunningP2pValidator> => {
    const validator = await startMeshValidator(homes, i, { ...opts, ...extra });
    validators[i] = validator;
    return validator;
  };
}

describe("block sync by range over request/response", () => {
  const dir = mkdtempSync(join(tmpdir(), "gm-p2p-sync-"));
  const homes = prepareDevnetHomes(dir, { validators: 4, chainId: CHAIN_ID, genesisTimeMs: Date.now() });
  const validators: (RunningP2pValidator | null)[] = [null, null, null, null];
  const start = starter(homes, validators, { timing: TIMING, sync: { lagBlocksMin: LAG_BLOCKS_MIN, connectWaitMs: 5_000 } });

  after(async () => {
    for (const validator of [...validators].reverse()) await validator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a validator far behind commits the missing blocks by range before consensus, then agrees with the others", async () => {
    await configureP2pDevnet(homes, { api: [0, 0, 0, 0], p2p: await findFreePorts(4) });
    for (const i of [0, 1, 2]) await start(i);
    const client = (i: number) => new GhostmeshClient(validators[i]!.api.url);
    const account = newAccount();
    await client(0).submitTx(signNext(account, { type: "account.register" }).bytes, { wait: true, timeoutMs: 30_000 });
    // Each committed burst adds a block with transactions and two that certify and commit it.
    for (let round = 0; round < 4; round++) {
      const tx = signNext(account, { type: "audit.append", record: { action: "deploy", subject: "svc", data: { round } } });
      await client(round % 3).submitTx(tx.bytes, { wait: true, timeoutMs: 30_000 });
    }
    const heightBehind = Math.min(...[0, 1, 2].map((i) => validators[i]!.chain.head.height));
    assert.ok(heightBehind >= LAG_BLOCKS_MIN + 2, `enough blocks to be far behind (height ${heightBehind})`);

    const { logger, lines } = recordingLogger();
    const late = await start(3, { logger });
    assert.ok(late.sync.blocksSynced >= heightBehind - 2, `synced ${late.sync.blocksSynced} blocks by range before consensus (peers at ${heightBehind})`);
    // Synced blocks log at debug (thousands at a time); the catch-up's own lines say how far it got.
    const syncDone = lines.findIndex((line) => line.message === "Block sync done; starting consensus");
    assert.ok(syncDone > 0, "the catch-up logs its end");
    const committedDuringSync = lines.slice(0, syncDone).filter((line) => line.message === "Committed block");
    assert.ok(committedDuringSync.length >= heightBehind - 2, "every synced block has its line");
    assert.ok(committedDuringSync.every((line) => line.level === "debug"), "at debug");
    assert.ok(late.chain.head.height >= heightBehind - 2);

    const final = signNext(account, { type: "audit.append", record: { action: "deploy", subject: "final" } });
    await client(1).submitTx(final.bytes, { wait: true, timeoutMs: 30_000 });
    await waitFor("the synced validator to commit a new transaction through consensus", async () => ((await client(3).tx(final.hash)).status === "committed" ? true : undefined), 30_000);
    const height = Math.min(...validators.map((v) => v!.chain.head.height));
    const reference = blockHashes(validators[0]!, height);
    for (const validator of validators) assert.deepEqual(blockHashes(validator!, height), reference, `validator ${validator!.index} agrees on every block`);
  });
});

describe("block sync by range at start, with the default lagBlocksMin", () => {
  const dir = mkdtempSync(join(tmpdir(), "gm-p2p-sync-start-"));
  const homes = prepareDevnetHomes(dir, { validators: 4, chainId: CHAIN_ID, genesisTimeMs: Date.now() });
  const validators: (RunningP2pValidator | null)[] = [null, null, null, null];
  // Empty blocks every 50 ms, and short views for the absent validator's turns: the others are
  // past one consensus fetch (32 blocks) within seconds.
  // (connectWaitMs: the first validator started has no peer to wait for.)
  const start = starter(homes, validators, { timing: { viewTimeoutBaseMs: 300, backoffPercent: 200, backoffExponentMax: 1 }, sync: { connectWaitMs: 1_000 }, emptyIntervalMs: 50 });
  const FETCH_BLOCKS = 32;

  after(async () => {
    for (const validator of [...validators].reverse()) await validator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a validator more than one consensus fetch behind (but far below lagBlocksMin) syncs by range before consensus", async () => {
    await configureP2pDevnet(homes, { api: [0, 0, 0, 0], p2p: await findFreePorts(4) });
    for (const i of [0, 1, 2]) await start(i);
    await waitFor("the others past one consensus fetch", () => (validators[0]!.chain.head.height >= FETCH_BLOCKS + 8 ? true : undefined), 60_000);
    const late = await start(3);
    assert.ok(late.sync.blocksSynced >= FETCH_BLOCKS, `synced ${late.sync.blocksSynced} blocks by range before consensus`);
    const headAtStart = validators[0]!.chain.head.height;
    await waitFor("the synced validator to commit new blocks through consensus", () => (late.chain.head.height >= headAtStart + 2 ? true : undefined), 30_000);
    const height = Math.min(...validators.map((v) => v!.chain.head.height));
    const reference = blockHashes(validators[0]!, height);
    for (const validator of validators) assert.deepEqual(blockHashes(validator!, height), reference, `validator ${validator!.index} agrees on every block`);
  });
});

describe("block sync by range at start, from an empty chain", () => {
  const dir = mkdtempSync(join(tmpdir(), "gm-p2p-sync-empty-"));
  const homes = prepareDevnetHomes(dir, { validators: 4, chainId: CHAIN_ID, genesisTimeMs: Date.now() });
  const validators: (RunningP2pValidator | null)[] = [null, null, null, null];
  // Empty blocks every 300 ms: the others stay well under one consensus fetch (32 blocks) ahead.
  const start = starter(homes, validators, { timing: { viewTimeoutBaseMs: 300, backoffPercent: 200, backoffExponentMax: 1 }, sync: { connectWaitMs: 1_000 }, emptyIntervalMs: 300 });

  after(async () => {
    for (const validator of [...validators].reverse()) await validator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a fresh home a few blocks behind syncs them by range before consensus (so it starts on a root with a QC, not at view 1)", async () => {
    await configureP2pDevnet(homes, { api: [0, 0, 0, 0], p2p: await findFreePorts(4) });
    for (const i of [0, 1, 2]) await start(i);
    await waitFor("the others a few blocks on", () => (validators[0]!.chain.head.height >= 3 ? true : undefined), 60_000);
    const late = await start(3);
    assert.ok(late.sync.blocksSynced >= 3 && late.sync.blocksSynced < 32, `synced ${late.sync.blocksSynced} blocks by range, under one consensus fetch`);
    // Its first engine has no safety state of its own, so it may be a copy of a home whose key signs elsewhere:
    // no vote or proposal in the views after the root (whose view is at least its height, blocksSynced).
    const safety = new ConsensusStore(late.chain.store).loadSafety();
    const marks = safety === null ? null : { lastVotedView: safety.lastVotedView, lastProposedView: safety.lastProposedView };
    assert.ok(marks !== null && marks.lastProposedView >= late.sync.blocksSynced + SIGNED_ELSEWHERE_QUARANTINE_VIEWS, `the views after the synced root are kept out of (${JSON.stringify(marks)})`);
    const headAtStart = validators[0]!.chain.head.height;
    await waitFor("the synced validator to commit new blocks through consensus", () => (late.chain.head.height >= headAtStart + 2 ? true : undefined), 30_000);
  });
});
