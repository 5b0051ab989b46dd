/**
 * A file an offline command writes (`export --out`, `bundle export --out`), streamed. The file
 * is opened at once, so a path that cannot be written (a directory, no permission, a missing
 * directory) is refused before any work, naming it; a write that fails later (a full disk) is a
 * refusal too, never a stream's unhandled 'error' event, which would end the process.
 */
import { once } from "node:events";
import { createWriteStream, openSync } from "node:fs";
import { GhostmeshError, errorMessage } from "../util/index.ts";

export type OutputFile = {
  /** Resolves once the stream takes more (backpressure). */
  write(chunk: Uint8Array | string): Promise<void>;
  /** Flushes and closes; throws if any write failed. */
  close(): Promise<void>;
};

function unwritable(path: string, err: unknown): GhostmeshError<"NODE_OUTPUT_UNWRITABLE"> {
  return new GhostmeshError("NODE_OUTPUT_UNWRITABLE", `${path}: cannot write it (${errorMessage(err)})`, { path }, { cause: err });
}

/** Creates or truncates `path`. @throws GhostmeshError NODE_OUTPUT_UNWRITABLE */
export function openOutputFile(path: string): OutputFile {
  let fd: number;
  try {
    fd = openSync(path, "w");
  } catch (err) {
    throw unwritable(path, err);
  }
  const stream = createWriteStream(path, { fd });
  let failure: unknown = null;
  stream.on("error", (err) => {
    failure ??= err;
  });
  return {
    async write(chunk) {
      if (failure !== null) throw unwritable(path, failure);
      if (stream.write(chunk)) return;
      try {
        await once(stream, "drain");
      } catch (err) {
        throw unwritable(path, err);
      }
    },
    async close() {
      if (!stream.closed) {
        stream.end();
        await once(stream, "close").catch(() => undefined);
      }
      if (failure !== null) throw unwritable(path, failure);
    },
  };
}
