/**
 * Codec throughput on a small transaction-like object, the shape the ledger encodes and
 * decodes in its hot path. Prints one JSON line of operations per second (best of 3 rounds). `rawCborg*` are cborg's own encode/decode
 * with no canonical checks, measured in the same run: the limit our checks are judged against.
 *
 *   ./node_modules/.bin/node bench/codec.ts [iterations]
 */
import { decode, encode } from "cborg";
import { decodeCanonical, decodeWith, encodeCanonical, s } from "../src/codec/index.ts";
import { benchCommandLine, intArg } from "./lib/cli.ts";

const ITERATIONS_DEFAULT = 100_000;
const WARMUP_ITERATIONS = 20_000;

const tx = {
  chainId: "ghostmesh-devnet",
  from: new Uint8Array(20).fill(0xab),
  nonce: 48_213,
  type: "audit.append",
  body: {
    record: {
      action: "environment.promote",
      subject: "service/payments",
      data: { from: "staging", to: "production", approvals: 3, ticket: "CHG-10442" },
    },
  },
};

const txSchema = s.object({
  chainId: s.string({ maxLength: 64 }),
  from: s.bytes({ size: 20 }),
  nonce: s.uint(),
  type: s.literal("audit.append"),
  body: s.object({
    record: s.object({
      action: s.string({ maxLength: 128 }),
      subject: s.optional(s.string({ maxLength: 256 })),
      data: s.optional(s.value({ maxDepth: 8, maxBytes: 16_384 })),
    }),
  }),
});

/** The machine is shared, so each figure is the best of a few rounds. */
const ROUNDS = 3;

function perSecond(iterations: number, run: () => unknown): number {
  for (let i = 0; i < WARMUP_ITERATIONS; i++) run();
  let best = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const startNs = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) run();
    const elapsedNs = Number(process.hrtime.bigint() - startNs);
    best = Math.max(best, Math.round((iterations * 1e9) / elapsedNs));
  }
  return best;
}

const HELP = `Usage: ./node_modules/.bin/node bench/codec.ts [ITERATIONS]

Canonical CBOR encode and decode of a small transaction-like object, operations per second (best
of 3 rounds), beside cborg's own encode and decode without canonical checks. Prints one JSON line.

Arguments:
  ITERATIONS   operations per round (default ${ITERATIONS_DEFAULT}, 1 to 100000000)
  -h, --help   this help
`;

const iterations = benchCommandLine({ name: "bench/codec.ts", help: HELP, options: {}, positionalsMax: 1 }, ({ positionals }) =>
  intArg(positionals[0], "ITERATIONS", { min: 1, max: 100_000_000 }, ITERATIONS_DEFAULT),
);
const encoded = encodeCanonical(tx);
const result = {
  objectSizeBytes: encoded.byteLength,
  iterations,
  encodePerSecond: perSecond(iterations, () => encodeCanonical(tx)),
  decodePerSecond: perSecond(iterations, () => decodeCanonical(encoded)),
  decodeWithSchemaPerSecond: perSecond(iterations, () => decodeWith(txSchema, encoded, "tx")),
  rawCborgEncodePerSecond: perSecond(iterations, () => encode(tx)),
  rawCborgDecodePerSecond: perSecond(iterations, () => decode(encoded)),
};
console.log(JSON.stringify(result));
