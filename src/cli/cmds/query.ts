import { readFileSync } from "node:fs";
import { genesisFromJson } from "../../node/home.ts";
import { GhostmeshClient, responseSchemas as r, verifyBlockFromGenesis, verifyCheckpointFromGenesis, verifyInclusionResponse, verifyStateProofResponse } from "../../client/index.ts";
import type { Genesis } from "../../ledger/index.ts";
import { errorMessage, fromHexOrUndefined, toHex } from "../../util/index.ts";
import { intFlag, parseFlags, printJson, refuseNotTaken, requireFlag, UsageError, type Command, type Io, type Takes } from "../command.ts";
import { openCachedWalk, TRUST_CACHE_HELP, TRUST_FLAGS, type TrustCacheFlags } from "../trustCache.ts";

const SUBCOMMANDS = ["status", "tx", "block", "audit", "proof", "consistency", "checkpoint", "account", "balance", "state", "params"] as const;
/** Every subcommand also takes --node and --json. */
const takes = (flags: readonly string[], args: number): Takes => ({ flags: ["node", "json", ...flags], args });
const TAKES: Readonly<Record<(typeof SUBCOMMANDS)[number], Takes>> = {
  status: takes([], 0),
  tx: takes([], 1),
  block: takes([], 1),
  account: takes([], 1),
  balance: takes([], 1),
  checkpoint: takes([], 0),
  params: takes(["height"], 0),
  audit: takes(["action", "sender", "from-height", "to-height", "limit", "cursor"], 0),
  consistency: takes(["from", "to"], 0),
  proof: takes(["record", "tree-size", "verify", ...TRUST_FLAGS], 1),
  state: takes(["key", "height", "prove", ...TRUST_FLAGS], 0),
};

/**
 * Trust comes from the genesis file when given; otherwise from the node's own genesis (trust on
 * first use). Every later epoch's validator set is then verified from it (ValidatorSetWalk).
 */
export async function trustedGenesis(client: GhostmeshClient, genesisFile: string | undefined): Promise<Genesis> {
  if (genesisFile) {
    let text: string;
    try {
      text = readFileSync(genesisFile, "utf8");
    } catch (err) {
      throw new UsageError(`--genesis ${genesisFile}: cannot read it (${errorMessage(err)}); give the chain's genesis.json`);
    }
    return genesisFromJson(text, genesisFile);
  }
  return genesisFromJson(JSON.stringify(await client.genesis()), `${client.baseUrl}/v1/genesis`);
}

/**
 * query state: a key's value at a height; with --prove, the proof is checked here against the
 * stateRoot of that block's header, itself checked against the block's certificate.
 */
async function queryState(io: Io, client: GhostmeshClient, flags: { key?: string; height?: string; prove?: boolean; genesis?: string } & TrustCacheFlags): Promise<void> {
  const keyText = requireFlag(flags.key, "key");
  const key = keyText.startsWith("0x") ? keyText.slice(2) : keyText;
  if (fromHexOrUndefined(key) === undefined || key.length === 0) throw new UsageError(`--key: expected a state key as hex (an account's key record: 01 followed by its address; its nonce: 02 followed by it), got "${keyText.slice(0, 80)}"`);
  const response = await client.stateProof(key, { height: intFlag(flags.height, "height") });
  if (!flags.prove) {
    printJson(io, response);
    return;
  }
  if (response.height === 0) throw new UsageError("--prove: no block is committed yet, so no signed header commits to a state root");
  const { walk, keepNewest } = openCachedWalk(io, client, await trustedGenesis(client, flags.genesis), flags);
  const { header, validatorSet } = await verifyBlockFromGenesis(walk, await client.block(response.height));
  verifyStateProofResponse(response, header.stateRoot);
  keepNewest();
  const validators = { epoch: validatorSet.epoch, hash: toHex(validatorSet.hash), validatorsChecked: validatorSet.set.validators.length };
  printJson(io, { verified: true, height: response.height, stateRoot: response.stateRoot, key: response.key, value: response.value, proof: response.proof, validatorSet: validators });
}

export const queryCommand: Command = {
  name: "query",
  summary: "Read from a node: status, tx, block, audit, proof, consistency, checkpoint, account, balance, state, params",
  help: `Usage: ghostmesh query SUBCOMMAND --node URL [flags] [--json]   (output is always JSON; --json changes nothing)

  query status
        the node's head (height, hash, roots), chain id and genesis hash, validator set, whether
        it is syncing, whether it stopped signing because another process signed with its key
        (signingStoppedAtView), and from which height it proves state (GET /v1/status)
  query tx HASH
  query block HEIGHT
  query account ADDRESS
  query balance ADDRESS
        the committed token balance: {address, balance} (balance as a decimal string)
  query checkpoint
  query audit [--action A] [--sender gm…] [--from-height H] [--to-height H] [--limit N] [--cursor C]
  query proof TXHASH [--record N] [--tree-size N] [--verify [--genesis FILE] [--trust-cache FILE | --no-trust-cache]]
        --verify checks the checkpoint's header hash and validator signatures, then the proof against it;
        the signatures are checked against the validator set of the checkpoint's epoch, verified
        epoch by epoch from the genesis set: --genesis FILE (trusted) or else the node's /v1/genesis;
        the walk starts at the newest set verified before (kept per genesis):
        ${TRUST_CACHE_HELP.replaceAll("\n", "\n      ")}
  query consistency --from N [--to N]
  query params [--height H]
        every module's parameters after block H (default: the head), nested by module:
        {"chain": {"epochBlocks": …}, "staking": {"rewardRateBps": 100, …}, "governance": {…}}
  query state --key HEX [--height H] [--prove [--genesis FILE] [--trust-cache FILE | --no-trust-cache]]
        a state key's value (null when absent) after block H (default: the head), with its proof;
        accounts: 01+ADDRESS (hex, no gm) holds {alg, publicKey}, 02+ADDRESS its nonce (CBOR);
        --prove verifies the proof against the stateRoot of block H's header and that header
        against its certificate (validator keys as for proof --verify)`,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === "--help" || sub === "-h") return io.stdout(`${this.help}\n`), sub === undefined ? 2 : 0;
    if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw new UsageError(`unknown subcommand "query ${sub}"; use one of ${SUBCOMMANDS.join(", ")}`);
    const { values, positionals } = parseFlags(
      rest,
      {
        node: { type: "string" },
        action: { type: "string" },
        sender: { type: "string" },
        "from-height": { type: "string" },
        "to-height": { type: "string" },
        limit: { type: "string" },
        cursor: { type: "string" },
        record: { type: "string" },
        "tree-size": { type: "string" },
        verify: { type: "boolean" },
        genesis: { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
        key: { type: "string" },
        height: { type: "string" },
        prove: { type: "boolean" },
        "trust-cache": { type: "string" },
        "no-trust-cache": { type: "boolean" },
        json: { type: "boolean" },
      },
      true,
    );
    if (values.help) return io.stdout(`${this.help}\n`), 0;
    refuseNotTaken({ values, positionals }, TAKES[sub as (typeof SUBCOMMANDS)[number]], `query ${sub}`);
    const client = new GhostmeshClient(requireFlag(values.node, "node"));
    const arg = () => {
      const value = positionals[0];
      if (value === undefined) throw new UsageError(`query ${sub} needs an argument; see ghostmesh query --help`);
      return value;
    };
    switch (sub) {
      case "status":
        printJson(io, await client.status());
        break;
      case "tx":
        printJson(io, await client.tx(arg()));
        break;
      case "block":
        printJson(io, await client.block(intFlag(arg(), "height", { min: 1 }) as number));
        break;
      case "account":
        printJson(io, await client.account(arg()));
        break;
      case "balance": {
        const account = await client.account(arg());
        printJson(io, { address: account.address, balance: account.balance });
        break;
      }
      case "checkpoint":
        printJson(io, await client.checkpoint());
        break;
      case "params": {
        const query = values.height === undefined ? "" : `?height=${intFlag(values.height, "height", { min: 0 })}`;
        printJson(io, (await client.getJson(`/v1/params${query}`, r.open({ params: r.anyObject }))).params);
        break;
      }
      case "audit":
        printJson(io, await client.audit({ action: values.action, sender: values.sender, fromHeight: intFlag(values["from-height"], "from-height"), toHeight: intFlag(values["to-height"], "to-height"), limit: intFlag(values.limit, "limit", { min: 1, max: 1000 }), cursor: values.cursor }));
        break;
      case "consistency":
        printJson(io, await client.consistencyProof(intFlag(requireFlag(values.from, "from"), "from", { min: 1 }) as number, intFlag(values.to, "to", { min: 1 })));
        break;
      case "proof": {
        const txHash = arg();
        if (!fromHexOrUndefined(txHash)) throw new UsageError(`"${txHash}" is not a transaction hash (hex)`);
        const recordIndex = intFlag(values.record, "record");
        if (!values.verify) {
          printJson(io, await client.inclusionProof(txHash, { recordIndex, treeSize: intFlag(values["tree-size"], "tree-size", { min: 1 }) }));
          break;
        }
        const checkpoint = await client.checkpoint();
        const { walk, keepNewest } = openCachedWalk(io, client, await trustedGenesis(client, values.genesis), values);
        const { validatorSet } = await verifyCheckpointFromGenesis(walk, checkpoint);
        const proof = await client.inclusionProof(txHash, { recordIndex, treeSize: checkpoint.treeSize });
        verifyInclusionResponse(proof, checkpoint.rootHash);
        keepNewest();
        const checked = { height: checkpoint.height, treeSize: checkpoint.treeSize, rootHash: checkpoint.rootHash, epoch: validatorSet.epoch, validatorSetHash: toHex(validatorSet.hash), validatorsChecked: validatorSet.set.validators.length };
        printJson(io, { verified: true, checkpoint: checked, proof });
        break;
      }
      case "state":
        await queryState(io, client, values);
        break;
    }
    return 0;
  },
};
