/** Positional and flag values the commands share: each bad one is a UsageError naming it. */
import { parseDecimalAmount } from "../app/index.ts";
import { parseAddress } from "../crypto/index.ts";
import { errorMessage } from "../util/index.ts";
import { UsageError } from "./command.ts";

/** A gm… address; `what` names the argument in the error (e.g. "ADDRESS", "--validator"). */
export function addressArg(text: string, what: string): Uint8Array {
  try {
    return parseAddress(text);
  } catch (err) {
    throw new UsageError(`${what}: ${errorMessage(err)}`);
  }
}

/** A decimal token amount of at least 1 (no floats, no leading zeros). */
export function positiveAmountArg(text: string, what: string): bigint {
  let value: bigint;
  try {
    value = parseDecimalAmount(text, what);
  } catch (err) {
    throw new UsageError(errorMessage(err));
  }
  if (value === 0n) throw new UsageError(`${what}: must be at least 1`);
  return value;
}
