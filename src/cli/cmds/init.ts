import { addressFromPublicKey, formatAddress, generateSigningKey } from "../../crypto/index.ts";
import { CHAIN_ID_PATTERN, CHAIN_MODES, type Genesis, type Validator } from "../../ledger/index.ts";
import { homePaths, initHome } from "../../node/home.ts";
import { intFlag, parseFlags, printJson, requireFlag, UsageError, type Command } from "../command.ts";
import { positiveAmountArg } from "../args.ts";
import { readPassphrase } from "../passphrase.ts";

export const initCommand: Command = {
  name: "init",
  summary: "Create a node home: validator key, one-validator genesis (PoA or PoS), config",
  help: `Usage: ghostmesh init --home DIR [--chain-id ID] [--name NAME] [--mode poa|pos] [--stake N] [--balance N]
                      [--epoch-blocks N] [--plain-key | --passphrase P] [--json]

Creates DIR with validator.key.json, genesis.json (this node as the only validator), config.yaml and data/.
The key file is encrypted with a passphrase (from --passphrase, GHOSTMESH_PASSPHRASE, or a prompt)
unless --plain-key is given (for development only: anyone who reads the file has the key).

  --home DIR        node home to create (must not already hold a node)
  --chain-id ID     chain id: lowercase letters, digits, dashes (default: ghostmesh-local)
  --name NAME       validator name in genesis (default: validator-0)
  --mode poa|pos    poa (default): a fixed authority set, no staking; pos: the validator self-bonds
                    --stake tokens and the validator set follows stake (docs/genesis.md)
  --stake N         pos only: the validator's genesis self-bond (default 1000000)
  --balance N       tokens the validator holds at genesis (default: none)
  --epoch-blocks N  blocks per epoch (default 100; fixed for the chain's life)
  --plain-key       store the key unencrypted
  --passphrase P    passphrase for the key file
  --json            print {home, chainId, validator} as JSON`,
  async run(argv, io) {
    const { values } = parseFlags(argv, {
      home: { type: "string" },
      "chain-id": { type: "string" },
      name: { type: "string" },
      "plain-key": { type: "boolean" },
      passphrase: { type: "string" },
      mode: { type: "string" },
      stake: { type: "string" },
      balance: { type: "string" },
      "epoch-blocks": { type: "string" },
      json: { type: "boolean" },
    });
    if (values.help) return io.stdout(`${this.help}\n`), 0;
    const home = requireFlag(values.home, "home");
    const chainId = values["chain-id"] ?? "ghostmesh-local";
    if (!CHAIN_ID_PATTERN.test(chainId) || chainId.length > 64) throw new UsageError(`--chain-id: "${chainId}" must be lowercase letters, digits and dashes (at most 64)`);
    const mode = values.mode ?? "poa";
    if (!(CHAIN_MODES as readonly string[]).includes(mode)) throw new UsageError(`--mode: "${mode}" is not one of ${CHAIN_MODES.join(", ")}`);
    if (mode === "poa" && values.stake !== undefined) throw new UsageError("--stake: a PoA chain has no staking; add --mode pos");
    const stake = amountFlag(values.stake ?? "1000000", "--stake");
    const balance = values.balance === undefined ? undefined : amountFlag(values.balance, "--balance");
    const epochBlocks = intFlag(values["epoch-blocks"], "epoch-blocks", { min: 1, max: 1_000_000 });
    const keyProtection = values["plain-key"] ? ({ plain: true } as const) : { passphrase: await readPassphrase(values.passphrase, io, "the new validator key") };
    const newKey = generateSigningKey();
    const name = values.name ?? "validator-0";
    const self: Validator = { name, address: addressFromPublicKey(newKey.alg, newKey.publicKey), alg: newKey.alg, publicKey: newKey.publicKey, power: 1 };
    const genesisTimeMs = Date.now();
    const newGenesis: Genesis = {
      chainId,
      genesisTime: genesisTimeMs,
      validators: [self],
      ...(mode === "pos" ? { mode: "pos", bonds: [{ validator: self.address, amount: stake }] } : {}),
      ...(balance === undefined ? {} : { allocations: [{ address: self.address, amount: balance }] }),
      ...(epochBlocks === undefined ? {} : { params: { chain: { epochBlocks } } }),
    };
    const { key, genesis } = initHome(home, { chainId, name, genesisTimeMs, keyProtection, genesis: newGenesis, key: newKey });
    const validator = formatAddress(genesis.validators[0]!.address);
    if (values.json) printJson(io, { home, chainId, validator, keyFile: homePaths(home).validatorKey, alg: key.alg });
    else io.stderr(`Initialised ${home}: chain ${chainId}, validator ${validator}\nStart it with: ghostmesh start --home ${home}\n`);
    return 0;
  },
};

/** A decimal token amount ≥ 1, as the genesis file writes it. */
function amountFlag(text: string, flag: string): string {
  positiveAmountArg(text, flag);
  return text;
}
