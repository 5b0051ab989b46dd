/**
 * Consensus cost per committed block as the committee grows: messages and bytes at
 * n = 4, 16, 64, 100 in the simulator, fault-free and with one silent validator (whose
 * views end by timeout certificates: the all-to-all part of the protocol).
 * The runs sign with Ed25519 for speed, but every byte count is that of the production
 * wire format with ML-DSA-65 signatures (3,309 bytes each): see src/sim/wireSize.ts and
 * docs/decisions/0103. The raw ML-DSA-65 verify rate of this machine is measured in the
 * same run, to turn "signatures per block" into CPU time.
 * Prints one JSON object. Run: ./node_modules/.bin/node bench/consensus-sim.ts [n ...] (--help)
 */
import { quorumPower } from "../src/consensus/index.ts";
import { SignatureAlgorithm, sign, signingKeyFromSeed, verify } from "../src/crypto/index.ts";
import { defaultSimFaultOptions, defaultSimNetworkOptions, defaultSimOptions, ML_DSA_65_SIGNATURE_BYTES, runSimulation } from "../src/sim/index.ts";
import { benchCommandLine, intArg } from "./lib/cli.ts";

const SIZES_DEFAULT = [4, 16, 64, 100];
const SIZES_MAX = 16;

const HELP = `Usage: ./node_modules/.bin/node bench/consensus-sim.ts [N ...]

Consensus messages and bytes per committed block in the simulator, for committees of N
validators (default ${SIZES_DEFAULT.join(" ")}), fault-free and with one silent validator; byte counts
are those of the wire format with ML-DSA-65 signatures. Prints one JSON object.

Arguments:
  N            a committee size, 4 to 1000 (up to ${SIZES_MAX} of them)
  -h, --help   this help
`;

const SIZES = benchCommandLine({ name: "bench/consensus-sim.ts", help: HELP, options: {}, positionalsMax: SIZES_MAX }, ({ positionals }) =>
  positionals.length === 0 ? SIZES_DEFAULT : positionals.map((text) => intArg(text, "N", { min: 4, max: 1000 })),
);
const VERIFY_ITERATIONS = 300;

function measureMlDsa65VerifyPerSecond(): number {
  const key = signingKeyFromSeed(SignatureAlgorithm.mlDsa65, new Uint8Array(32).fill(7));
  const message = new Uint8Array(32).fill(1);
  const signature = sign(key, message);
  const started = performance.now();
  for (let i = 0; i < VERIFY_ITERATIONS; i++) verify(SignatureAlgorithm.mlDsa65, key.publicKey, message, signature);
  return Math.round((VERIFY_ITERATIONS * 1000) / (performance.now() - started));
}

function perBlock(value: number, blocks: number): number {
  return blocks === 0 ? 0 : Math.round(value / blocks);
}

/** "fault-free": every leader honest; "one-silent": one validator never sends, so its views time out (all-to-all timeouts). */
type Scenario = "fault-free" | "one-silent";

function benchSize(validators: number, scenario: Scenario, verifyPerSecond: number) {
  // With one silent validator, run past its turn as leader (round-robin: within n views).
  const views = scenario === "one-silent" ? validators + 10 : validators >= 64 ? 20 : 40;
  const started = performance.now();
  const result = runSimulation(
    defaultSimOptions({
      validators,
      seed: 1,
      views,
      byzantine: scenario === "one-silent" ? 1 : 0,
      behavior: scenario === "one-silent" ? "silent" : "none",
      measureBytes: true,
      network: { ...defaultSimNetworkOptions, duplicatePpm: 0 },
      faults: { ...defaultSimFaultOptions, crashes: false, dropPpm: 0, partitions: false },
    }),
  );
  const blocks = result.committedBlocks;
  const quorum = quorumPower({ powerTotal: validators });
  const bytesByType = Object.fromEntries(Object.entries(result.bytesByType).map(([type, bytes]) => [type, perBlock(bytes, blocks)]));
  const messagesByType = Object.fromEntries(Object.entries(result.messagesByType).map(([type, count]) => [type, perBlock(count, blocks)]));
  // A follower checks the proposal's signature (its leader's vote) and the QC's other vote
  // signatures: the QC's signature of the previous leader is that leader's proposal
  // signature, already checked (verification caches), whenever its vote is in the QC.
  const verifiesPerBlockPerFollower = quorum;
  return {
    validators,
    scenario,
    quorum,
    committedBlocks: blocks,
    violations: result.violations.length,
    messagesPerBlock: perBlock(result.messagesTotal, blocks),
    bytesPerBlock: perBlock(result.bytesTotal, blocks),
    messagesPerBlockByType: messagesByType,
    bytesPerBlockByType: bytesByType,
    qcBytes: quorum * (ML_DSA_65_SIGNATURE_BYTES + 3) + Math.ceil(validators / 8) + 48,
    verifiesPerBlockPerFollower,
    mldsa65VerifySecondsPerBlockPerFollowerOneCore: Math.round((verifiesPerBlockPerFollower / verifyPerSecond) * 1000) / 1000,
    virtualSecondsPerBlock: Math.round(result.virtualTimeMs / Math.max(1, blocks)) / 1000,
    wallMs: Math.round(performance.now() - started),
  };
}

const verifyPerSecond = measureMlDsa65VerifyPerSecond();
const results = [];
for (const scenario of ["fault-free", "one-silent"] as const) {
  for (const validators of SIZES) {
    process.stderr.write(`consensus-sim: n=${validators} ${scenario}\n`);
    results.push(benchSize(validators, scenario, verifyPerSecond));
  }
}
process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: "ghostmesh.consensus.sim",
      signatures: "Ed25519 in the run; bytes counted as ML-DSA-65 (3,309-byte signatures)",
      network: "simulated: 5-60 ms per link + up to 20 ms jitter, no loss; fault-free, or one silent validator",
      mldsa65VerifyPerSecondOneCore: verifyPerSecond,
      results,
    },
    null,
    2,
  )}\n`,
);
