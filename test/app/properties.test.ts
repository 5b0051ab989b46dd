import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeAmount, readBalance, readTotalSupply } from "../../src/app/index.ts";
import type { Role, SignedTx } from "../../src/ledger/index.ts";
import { bytesEqual } from "../../src/util/index.ts";
import { AppHarness, chainId, unsigned } from "./harness.ts";

const ACCOUNTS = 4;
const SUPPLY = [1_000n, 50n, 0n, 7n];
const address = (i: number) => new Uint8Array(20).fill(i + 1);

/** A step: sender index, recipient index (may be unfunded or unregistered), amount, and a nonce offset (0 = right). */
const step = fc.record({
  from: fc.nat({ max: ACCOUNTS - 1 }),
  to: fc.nat({ max: ACCOUNTS }),
  amount: fc.oneof(fc.bigInt({ min: 1n, max: 1_100n }), fc.bigInt({ min: 1n, max: (1n << 256n) - 1n })),
  nonceOffset: fc.constantFrom(0, 0, 0, 1, -1),
});
const blocks = fc.array(fc.array(step, { maxLength: 6 }), { minLength: 1, maxLength: 5 });

function harness(): AppHarness {
  const app = new AppHarness({
    allocations: SUPPLY.map((amount, i) => ({ address: address(i), amount: amount.toString() })),
    roles: [{ address: address(0), roles: ["admin"] }],
  });
  for (let i = 0; i < ACCOUNTS; i++) app.registerFake(i + 1);
  return app;
}

/** Builds each block's transactions against the harness's nonces as the block is reached. */
type Step = { readonly from: number; readonly to: number; readonly amount: bigint; readonly nonceOffset: number };

function replay(app: AppHarness, plan: readonly (readonly Step[])[]): Uint8Array[] {
  const roots: Uint8Array[] = [];
  for (const block of plan) {
    const next = new Map<number, number>();
    const txs: SignedTx[] = block.map((s) => {
      const nonce = next.get(s.from) ?? app.nonce(address(s.from));
      next.set(s.from, nonce + 1);
      return unsigned({ chainId, from: address(s.from), nonce: Math.max(0, nonce + s.nonceOffset), type: "token.transfer", body: { to: address(s.to), amount: encodeAmount(s.amount) } });
    });
    roots.push(app.run(txs).stateRoot);
  }
  return roots;
}

describe("app: properties of balances and roles", () => {
  it("keeps the total supply, and the sum of balances, constant under any sequence of transfers", () => {
    const total = SUPPLY.reduce((a, b) => a + b, 0n);
    fc.assert(
      fc.property(blocks, (plan) => {
        const app = harness();
        replay(app, plan);
        let sum = 0n;
        for (let i = 0; i <= ACCOUNTS; i++) sum += readBalance(app.get, address(i));
        assert.equal(sum, total);
        assert.equal(readTotalSupply(app.get), total);
      }),
      { numRuns: 60 },
    );
  });

  it("gives the same state roots when the same blocks are replayed", () => {
    fc.assert(
      fc.property(blocks, (plan) => {
        const first = replay(harness(), plan);
        const second = replay(harness(), plan);
        assert.ok(first.every((root, i) => bytesEqual(root, second[i] as Uint8Array)));
      }),
      { numRuns: 30 },
    );
  });

  it("leaves the state root unchanged when a block's only transaction is rejected", () => {
    const refused = fc.oneof(
      // More than the sender holds.
      fc.record({ from: fc.nat({ max: ACCOUNTS - 1 }), extra: fc.bigInt({ min: 1n, max: 1n << 200n }) }).map(({ from, extra }) => ({ kind: "transfer" as const, from, extra })),
      // A role change by a non-admin.
      fc.record({ from: fc.integer({ min: 1, max: ACCOUNTS - 1 }), role: fc.constantFrom<Role>("admin", "read_blockchain", "emergency_rollback") }).map(({ from, role }) => ({ kind: "grant" as const, from, role })),
    );
    fc.assert(
      fc.property(refused, (r) => {
        const app = harness();
        const before = app.store.root();
        const from = address(r.from);
        const tx =
          r.kind === "transfer"
            ? unsigned({ chainId, from, nonce: 1, type: "token.transfer", body: { to: address(0), amount: encodeAmount((SUPPLY[r.from] as bigint) + r.extra) } })
            : unsigned({ chainId, from, nonce: 1, type: "roles.grant", body: { address: from, role: r.role } });
        const result = app.run([tx]);
        assert.equal(result.rejected.length, 1);
        assert.ok(bytesEqual(result.stateRoot, before));
      }),
      { numRuns: 40 },
    );
  });
});
