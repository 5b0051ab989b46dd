export { GhostmeshError, isGhostmeshError, errorMessage } from "./errors.ts";
export { AssertionError, assert } from "./assert.ts";
export { toHex, fromHexOrUndefined, toBase64, bytesEqual, bytesContain, concatBytes, compareBytes, utf8 } from "./bytes.ts";
export { readUint64BE, writeUint64BE } from "./uint64.ts";
