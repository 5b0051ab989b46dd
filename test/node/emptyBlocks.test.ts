/**
 * Epochs count blocks, so an idle chain still commits an empty block once `emptyIntervalMs`
 * has passed since the head's timestamp (decision 0200, "Pacing"); 0 keeps it idle. Clocks
 * are injected, so "time passing" is exact.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pino } from "pino";
import { addressFromPublicKey, generateSigningKey, verifyAsync } from "../../src/crypto/index.ts";
import { ChainStore, type Genesis } from "../../src/ledger/index.ts";
import { Mempool, defaultMempoolOptions } from "../../src/mempool/index.ts";
import { Chain } from "../../src/node/chain.ts";
import { LedgerApplication } from "../../src/node/consensus/index.ts";
import { SingleValidatorProducer } from "../../src/node/producer.ts";

const GENESIS_MS = 1_700_000_000_000;
const dir = mkdtempSync(join(tmpdir(), "gm-empty-blocks-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const silent = pino({ level: "silent" });

function open(name: string, validators: number) {
  const keys = Array.from({ length: validators }, () => generateSigningKey());
  const genesis: Genesis = {
    chainId: "empty-blocks",
    genesisTime: GENESIS_MS,
    validators: keys.map((key, i) => ({ name: `v${i}`, address: addressFromPublicKey(key.alg, key.publicKey), alg: key.alg, publicKey: key.publicKey, power: 1 })),
  };
  const chain = new Chain(genesis, new ChainStore(join(dir, `${name}.db`)));
  const mempool = new Mempool({ ...defaultMempoolOptions, chainId: genesis.chainId }, { accounts: chain.accounts, verifier: { verify: verifyAsync }, metrics: null });
  return { chain, mempool, key: keys[0]! };
}

describe("empty blocks keep an idle chain's epochs moving", () => {
  it("the consensus app stops being idle once emptyBlockIntervalMs passed since the head, and never with 0", () => {
    const { chain, mempool } = open("consensus", 4);
    let nowMs = GENESIS_MS;
    const appWith = (emptyBlockIntervalMs: number) =>
      new LedgerApplication({ txsMax: 10, entriesMax: 100, bytesMax: 1 << 20, timestampAheadMsMax: 1000, emptyBlockIntervalMs }, { chain, mempool, clock: { nowMs: () => nowMs }, logger: silent, metrics: null });
    const withInterval = appWith(500);
    const never = appWith(0);
    nowMs = GENESIS_MS + 499;
    assert.equal(withInterval.isIdle(), true, "not yet due");
    nowMs = GENESIS_MS + 500;
    assert.equal(withInterval.isIdle(), false, "due: a leader proposes an empty block");
    nowMs = GENESIS_MS + 1_000_000;
    assert.equal(never.isIdle(), true, "0 turns empty blocks off");
  });

  it("with the wall clock stepped back behind the head, the interval runs on the monotonic clock from when the head was found", () => {
    const { chain, mempool } = open("stepped", 4);
    let wallMs = GENESIS_MS - 60_000;
    let monotonicMs = 5_000;
    const app = new LedgerApplication(
      { txsMax: 10, entriesMax: 100, bytesMax: 1 << 20, timestampAheadMsMax: 1000, emptyBlockIntervalMs: 500 },
      { chain, mempool, clock: { nowMs: () => wallMs }, monotonicClock: { nowMs: () => monotonicMs }, logger: silent, metrics: null },
    );
    assert.equal(app.isIdle(), true, "the head is found now: not yet due");
    monotonicMs += 499;
    assert.equal(app.isIdle(), true, "499 ms later: not yet due");
    monotonicMs += 1;
    assert.equal(app.isIdle(), false, "500 ms after the head was found: due, although the wall clock is a minute behind it");
    wallMs = GENESIS_MS + 100;
    assert.equal(app.isIdle(), true, "a wall clock back past the head measures from its timestamp again");
  });

  it("the one-validator producer commits one empty block when due, none before", async () => {
    const { chain, mempool, key } = open("producer", 1);
    let nowMs = GENESIS_MS;
    const producer = new SingleValidatorProducer(
      { intervalMs: 5, txsMax: 10, entriesMax: 100, bytesMax: 1 << 20, emptyIntervalMs: 1_000 },
      { chain, mempool, key, clock: { nowMs: () => nowMs }, logger: silent, metrics: null },
    );
    producer.start();
    try {
      // The clock is frozen, so whatever the scheduling delays, nothing is due before it moves.
      await new Promise((resolve) => setTimeout(resolve, 60));
      assert.equal(chain.head.height, 0, "an idle chain before the interval makes no block");
      nowMs = GENESIS_MS + 1_000;
      for (let waitedMs = 0; chain.head.height === 0 && waitedMs < 10_000; waitedMs += 10) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(chain.head.height, 1, "one empty block once due");
      assert.equal(chain.store.txsOfBlock(1).length, 0);
      await new Promise((resolve) => setTimeout(resolve, 60));
      assert.equal(chain.head.height, 1, "the new head resets the interval");
    } finally {
      await producer.stop();
    }
  });

  it("the one-validator producer, its wall clock stepped back behind the head, paces empty blocks on the monotonic clock", async () => {
    const { chain, mempool, key } = open("producer-stepped", 1);
    let monotonicMs = 0;
    const producer = new SingleValidatorProducer(
      { intervalMs: 5, txsMax: 10, entriesMax: 100, bytesMax: 1 << 20, emptyIntervalMs: 1_000 },
      { chain, mempool, key, clock: { nowMs: () => GENESIS_MS - 60_000 }, monotonicClock: { nowMs: () => monotonicMs }, logger: silent, metrics: null },
    );
    producer.start();
    const waitForHeight = async (height: number) => {
      for (let waitedMs = 0; chain.head.height < height && waitedMs < 10_000; waitedMs += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    try {
      await new Promise((resolve) => setTimeout(resolve, 60));
      assert.equal(chain.head.height, 0, "the interval has not passed on the monotonic clock");
      monotonicMs += 1_000;
      await waitForHeight(1);
      assert.equal(chain.head.height, 1, "one empty block once 1 s passed, although the wall clock stands a minute behind the head");
      assert.equal(chain.head.timestamp, GENESIS_MS, "it repeats the head's timestamp");
      await new Promise((resolve) => setTimeout(resolve, 60));
      assert.equal(chain.head.height, 1, "the new head resets the interval");
      monotonicMs += 1_000;
      await waitForHeight(2);
      assert.equal(chain.head.height, 2);
    } finally {
      await producer.stop();
    }
  });
});
