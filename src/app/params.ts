/**
 * Module parameters in the state tree (decision 0601):
 *
 *   0x10 || utf8(module) → canonical CBOR map {param: uint} with every parameter of the module
 *
 * Genesis writes every module's map (defaults, overridden by genesis `params`); governance
 * param-change proposals rewrite one map. All parameters are unsigned integers: rates and
 * thresholds in basis points, periods in epochs or blocks, deposits in token units.
 */
import { decodeWith, encodeCanonical, s } from "../codec/index.ts";
import type { GenesisParams, StateWrite } from "../ledger/index.ts";
import { GhostmeshError, concatBytes, utf8 } from "../util/index.ts";
import type { StateGetter } from "./blockState.ts";

const PARAMS_PREFIX = new Uint8Array([0x10]);
const BPS_MAX = 10_000;

type ParamSpec = { readonly defaultValue: number; readonly min: number; readonly max: number; readonly governable: boolean; readonly summary: string };

const bps = (defaultValue: number, summary: string, min = 0): ParamSpec => ({ defaultValue, min, max: BPS_MAX, governable: true, summary });
const count = (defaultValue: number, min: number, max: number, summary: string): ParamSpec => ({ defaultValue, min, max, governable: true, summary });

/** Every parameter, by module. The order of modules and parameters here is the order of `query params`. */
export const PARAM_SPECS = {
  chain: {
    // Fixed at genesis: epoch numbers are height / epochBlocks, so changing it would renumber history.
    epochBlocks: { defaultValue: 100, min: 1, max: 1_000_000, governable: false, summary: "blocks per epoch" },
  },
  staking: {
    rewardRateBps: bps(100, "reward minted per epoch to each bonded delegation, in basis points of its amount"),
    slashFractionBps: bps(1000, "fraction of a validator's stake burned when it is slashed"),
    unbondingEpochs: count(2, 0, 10_000, "epochs an unbonded amount stays locked before it returns to the balance"),
    jailEpochs: count(2, 0, 10_000, "epochs a jailed validator must wait before staking.unjail"),
    downtimeWindowBlocks: count(100, 1, 1_000_000, "blocks per downtime window"),
    downtimeMinSignedBps: bps(5000, "share of a window's blocks a validator must sign, or be slashed and jailed"),
    maxValidators: count(100, 1, 1024, "size of the validator set chosen from stake each epoch"),
  },
  governance: {
    minDeposit: count(1000, 1, Number.MAX_SAFE_INTEGER, "smallest deposit a proposal carries, in token units"),
    votingPeriodEpochs: count(10, 1, 10_000, "epochs a proposal is open for votes"),
    timelockEpochs: count(5, 0, 10_000, "epochs between a proposal passing and its execution"),
    approvalThresholdBps: bps(6700, "share of yes among yes+no+veto needed to pass", 1),
    quorumBps: bps(3340, "share of the total voting power that must vote"),
    vetoThresholdBps: bps(3340, "share of veto among all votes above which a proposal is vetoed and its deposit burned"),
    emergencyThresholdBps: bps(6667, "share of validator power whose yes executes an emergency proposal at once", 5001),
  },
} as const satisfies Record<string, Record<string, ParamSpec>>;

export type ParamModule = keyof typeof PARAM_SPECS;
export type ModuleParams<M extends ParamModule> = { readonly [P in keyof (typeof PARAM_SPECS)[M]]: number };
export type AllParams = { readonly [M in ParamModule]: ModuleParams<M> };
export const PARAM_MODULES = Object.keys(PARAM_SPECS) as ParamModule[];

export function paramsKey(module: ParamModule): Uint8Array {
  return concatBytes([PARAMS_PREFIX, utf8(module)]);
}

const paramsValueSchema = s.record(s.uint(), { maxEntries: 64 });

function specOf(module: string, param: string): ParamSpec | undefined {
  if (!Object.hasOwn(PARAM_SPECS, module)) return undefined;
  const specs = PARAM_SPECS[module as ParamModule] as Record<string, ParamSpec>;
  return Object.hasOwn(specs, param) ? specs[param] : undefined;
}

/** Why `module.param = value` is not allowed, or undefined. `viaGovernance`: also refuse genesis-only parameters. */
export function paramProblem(module: string, param: string, value: number, viaGovernance: boolean): string | undefined {
  const spec = specOf(module, param);
  if (spec === undefined) return `${module}.${param} is not a parameter (see ghostmesh query params)`;
  if (viaGovernance && !spec.governable) return `${module}.${param} is fixed at genesis`;
  if (!Number.isSafeInteger(value) || value < spec.min || value > spec.max) return `${module}.${param} must be an integer in [${spec.min}, ${spec.max}], got ${value}`;
  return undefined;
}

export function encodeModuleParams(values: Record<string, number>): Uint8Array {
  return encodeCanonical(values);
}

/** One module's parameters from state; a module without a record (older chains) reads its defaults. */
export function readModuleParams<M extends ParamModule>(get: StateGetter, module: M): ModuleParams<M> {
  const defaults = defaultsOf(module);
  const bytes = get(paramsKey(module));
  if (bytes === undefined) return defaults as ModuleParams<M>;
  return { ...defaults, ...decodeWith(paramsValueSchema, bytes, `params.${module}`) } as ModuleParams<M>;
}

export function readAllParams(get: StateGetter): AllParams {
  return Object.fromEntries(PARAM_MODULES.map((module) => [module, readModuleParams(get, module)])) as AllParams;
}

// Built once: every block reads the chain parameters (epoch length) before its transactions.
const DEFAULTS = Object.fromEntries(
  PARAM_MODULES.map((module) => [module, Object.freeze(Object.fromEntries(Object.entries(PARAM_SPECS[module] as Record<string, ParamSpec>).map(([name, spec]) => [name, spec.defaultValue])))]),
) as Record<ParamModule, Readonly<Record<string, number>>>;

function defaultsOf(module: ParamModule): Readonly<Record<string, number>> {
  return DEFAULTS[module];
}

/** The genesis parameter records: defaults with the genesis file's overrides, each checked (unknown modules too). */
export function genesisParamWrites(overrides: GenesisParams | undefined): StateWrite[] {
  for (const [module, values] of Object.entries(overrides ?? {})) {
    for (const [param, value] of Object.entries(values)) {
      const problem = paramProblem(module, param, value, false);
      if (problem) throw new GhostmeshError("APP_GENESIS_INVALID", `genesis: params.${module}.${param}: ${problem}`, {});
    }
  }
  // Only overridden modules get a record at genesis: the others read their defaults, so a
  // genesis without `params` keeps the state root it always had.
  return PARAM_MODULES.filter((module) => overrides?.[module] !== undefined).map((module) => ({
    key: paramsKey(module),
    value: encodeModuleParams({ ...defaultsOf(module), ...overrides?.[module] }),
  }));
}

/** The epoch of a height: epoch e holds heights [e·epochBlocks, (e+1)·epochBlocks); integer arithmetic only. */
export function epochOf(height: number, epochBlocks: number): number {
  return (height - (height % epochBlocks)) / epochBlocks;
}
