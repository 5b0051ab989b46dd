import { formatAddress } from "../../crypto/index.ts";
import { CHAIN_ID_PATTERN } from "../../ledger/index.ts";
import { homePaths, initHome } from "../../node/home.ts";
import { parseFlags, printJson, requireFlag, UsageError, type Command } from "../command.ts";
import { readPassphrase } from "../passphrase.ts";

export const initCommand: Command = {
  name: "init",
  summary: "Create a node home: validator key, one-validator genesis, config",
  help: `Usage: ghostmesh init --home DIR [--chain-id ID] [--name NAME] [--plain-key | --passphrase P] [--json]

Creates DIR with validator.key.json, genesis.json (this node as the only validator), config.yaml and data/.
The key file is encrypted with a passphrase (from --passphrase, GHOSTMESH_PASSPHRASE, or a prompt)
unless --plain-key is given (for development only: anyone who reads the file has the key).

  --home DIR        node home to create (must not already hold a node)
  --chain-id ID     chain id: lowercase letters, digits, dashes (default: ghostmesh-local)
  --name NAME       validator name in genesis (default: validator-0)
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
      json: { type: "boolean" },
    });
    if (values.help) return io.stdout(`${this.help}\n`), 0;
    const home = requireFlag(values.home, "home");
    const chainId = values["chain-id"] ?? "ghostmesh-local";
    if (!CHAIN_ID_PATTERN.test(chainId) || chainId.length > 64) throw new UsageError(`--chain-id: "${chainId}" must be lowercase letters, digits and dashes (at most 64)`);
    const keyProtection = values["plain-key"] ? ({ plain: true } as const) : { passphrase: await readPassphrase(values.passphrase, io, "the new validator key") };
    const { key, genesis } = initHome(home, { chainId, name: values.name ?? "validator-0", genesisTimeMs: Date.now(), keyProtection });
    const validator = formatAddress(genesis.validators[0]!.address);
    if (values.json) printJson(io, { home, chainId, validator, keyFile: homePaths(home).validatorKey, alg: key.alg });
    else io.stderr(`Initialised ${home}: chain ${chainId}, validator ${validator}\nStart it with: ghostmesh start --home ${home}\n`);
    return 0;
  },
};
