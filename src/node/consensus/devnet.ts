/**
 * A development network of N validators in this one process: N node homes sharing one
 * genesis (equal voting power), each validator with its own SQLite store and REST API,
 * linked by the in-memory network. Keys are plain files: not for production.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { addressFromPublicKey, generateSigningKey, loadKeyFile, type SigningKey } from "../../crypto/index.ts";
import type { ConsensusTiming } from "../../consensus/index.ts";
import { hashGenesis, type Genesis, type Validator } from "../../ledger/index.ts";
import { GhostmeshError, bytesEqual } from "../../util/index.ts";
import { loadNodeConfig } from "../config.ts";
import { homePaths, initHome, loadGenesis } from "../home.ts";
import type { Logger } from "../types.ts";
import { InMemoryNetwork } from "./network.ts";
import { startValidatorNode, validatorIndexOf, type RunningValidator } from "./validatorNode.ts";

export type DevnetHome = { readonly name: string; readonly home: string; readonly key: SigningKey };

export type DevnetHomes = { readonly genesis: Genesis; readonly homes: readonly DevnetHome[]; readonly created: boolean };

export function devnetNodeName(index: number): string {
  return `node${index}`;
}

/** Optional genesis fields of a new devnet (mode, bonds, allocations, roles, params), given its validators. */
export type DevnetGenesisExtras = (validators: readonly Validator[]) => Omit<Partial<Genesis>, "chainId" | "genesisTime" | "validators">;

/** Creates N homes under `dir` sharing one genesis, or reopens the ones a previous run created. */
export function prepareDevnetHomes(
  dir: string,
  opts: { readonly validators: number; readonly chainId: string; readonly genesisTimeMs: number; readonly genesisExtras?: DevnetGenesisExtras },
): DevnetHomes {
  const first = join(dir, devnetNodeName(0));
  if (existsSync(homePaths(first).genesis)) return reopenDevnetHomes(dir, opts.validators);
  const keys = Array.from({ length: opts.validators }, () => generateSigningKey());
  const validators: Validator[] = keys.map((key, i) => ({ name: devnetNodeName(i), address: addressFromPublicKey(key.alg, key.publicKey), alg: key.alg, publicKey: key.publicKey, power: 1 }));
  const genesis: Genesis = { chainId: opts.chainId, genesisTime: opts.genesisTimeMs, validators, ...opts.genesisExtras?.(validators) };
  const homes = keys.map((key, i) => {
    const home = join(dir, devnetNodeName(i));
    initHome(home, { chainId: opts.chainId, name: devnetNodeName(i), genesisTimeMs: opts.genesisTimeMs, keyProtection: { plain: true }, genesis, key });
    return { name: devnetNodeName(i), home, key };
  });
  return { genesis, homes, created: true };
}

function reopenDevnetHomes(dir: string, validators: number): DevnetHomes {
  const genesis = loadGenesis(join(dir, devnetNodeName(0)));
  if (genesis.validators.length !== validators) {
    throw new GhostmeshError("NODE_DEVNET_MISMATCH", `${dir} holds a devnet of ${genesis.validators.length} validators; run it with --validators ${genesis.validators.length}, or choose another --dir`, {
      validators: genesis.validators.length,
      validatorsRequested: validators,
    });
  }
  const genesisHash = hashGenesis(genesis);
  const homes = genesis.validators.map((_, i) => {
    const home = join(dir, devnetNodeName(i));
    if (!bytesEqual(hashGenesis(loadGenesis(home)), genesisHash)) {
      throw new GhostmeshError("NODE_DEVNET_MISMATCH", `${home} has another genesis than ${devnetNodeName(0)}; choose another --dir`, {});
    }
    const key = loadKeyFile(homePaths(home).validatorKey);
    if (validatorIndexOf(genesis, key) !== i) throw new GhostmeshError("NODE_DEVNET_MISMATCH", `${home} holds the key of another validator than ${devnetNodeName(i)}`, {});
    return { name: devnetNodeName(i), home, key };
  });
  return { genesis, homes, created: false };
}

export type InProcessDevnetOptions = {
  readonly homes: DevnetHomes;
  /** API port of each validator, in order. */
  readonly apiPorts: readonly number[];
  readonly env: NodeJS.ProcessEnv;
  readonly timing?: ConsensusTiming;
};

export type InProcessDevnet = {
  readonly network: InMemoryNetwork;
  readonly validators: readonly RunningValidator[];
  stop(): Promise<void>;
};

/** Starts every validator on one in-memory network; each logs JSON lines to its home's node.log. */
export async function startInProcessDevnet(opts: InProcessDevnetOptions): Promise<InProcessDevnet> {
  const { genesis, homes } = opts.homes;
  const network = new InMemoryNetwork(homes.length);
  const validators: RunningValidator[] = [];
  const stop = async (): Promise<void> => {
    // Reverse order of start, like every composition root.
    for (const validator of [...validators].reverse()) await validator.stop();
  };
  try {
    for (const [i, { home, key }] of homes.entries()) {
      const config = loadNodeConfig(home, opts.env, { api: { port: opts.apiPorts[i] } });
      const logger = pino({ level: config.log.level }, pino.destination({ dest: join(home, "node.log"), append: true, sync: true })) as unknown as Logger;
      const timing = opts.timing === undefined ? {} : { timing: opts.timing };
      validators.push(await startValidatorNode({ home, config, genesis, ...timing }, { key, network, logger }));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { network, validators, stop };
}
