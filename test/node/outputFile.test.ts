/**
 * openOutputFile (src/node/outputFile.ts), what `export --out` and `bundle export --out` write
 * through: a path that cannot be opened, and a write that fails later (a full disk), are
 * NODE_OUTPUT_UNWRITABLE naming the path, never a stream's unhandled 'error' event.
 */
import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openOutputFile } from "../../src/node/outputFile.ts";
import { isGhostmeshError } from "../../src/util/index.ts";
import { removeDir } from "../helpers/testChain.ts";

const unwritable = (path: string) => (err: unknown) => isGhostmeshError(err) && err.code === "NODE_OUTPUT_UNWRITABLE" && err.message.startsWith(`${path}: cannot write it (`);

describe("openOutputFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "gm-output-"));
  after(() => removeDir(dir));

  it("writes what it is given, in order, and closes", async () => {
    const path = join(dir, "out.txt");
    const file = openOutputFile(path);
    for (let i = 0; i < 1000; i++) await file.write(`line ${i}\n`);
    await file.write(new Uint8Array([0x6f, 0x6b]));
    await file.close();
    const text = readFileSync(path, "utf8");
    assert.ok(text.startsWith("line 0\nline 1\n") && text.endsWith("line 999\nok"));
  });

  it("refuses a directory and a path in a missing directory at once, naming them", () => {
    assert.throws(() => openOutputFile(dir), unwritable(dir));
    const nowhere = join(dir, "missing", "out.txt");
    assert.throws(() => openOutputFile(nowhere), unwritable(nowhere));
    assert.equal(existsSync(join(dir, "missing")), false);
  });

  it("a write that fails later (a full disk: /dev/full) is a refusal from write or close, not a crash", { skip: existsSync("/dev/full") ? false : "no /dev/full here" }, async () => {
    const file = openOutputFile("/dev/full");
    const refused = unwritable("/dev/full");
    // Whether a write sees the failure first depends on when the stream reports it; close always does.
    try {
      for (let i = 0; i < 64; i++) await file.write(new Uint8Array(64 * 1024));
    } catch (err) {
      assert.ok(refused(err), String(err));
    }
    await assert.rejects(file.close(), refused);
  });
});
