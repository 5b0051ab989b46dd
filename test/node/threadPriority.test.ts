/**
 * threads.helperNice: helper threads get the nice value, the event loop keeps its own; the
 * configuration takes it from config.yaml or GHOSTMESH_THREADS_HELPER_NICE and refuses values
 * outside 0..19. (Each test file runs in its own process, so the priorities set here stay here.)
 */
import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { CONFIG_FILE, defaultNodeConfig, loadNodeConfig } from "../../src/node/config.ts";
import { HELPER_THREAD_NAMES, lowerHelperThreadPriority } from "../../src/node/threadPriority.ts";
import { isGhostmeshError } from "../../src/util/index.ts";
import { configHomes } from "../helpers/configHomes.ts";

/**
 * Each thread of this process: its name and nice value (field 19 of /proc/self/task/<tid>/stat).
 * A thread that exits between the listing and the read (V8 starts and stops helpers as it
 * pleases) is left out, as lowerHelperThreadPriority leaves it out.
 */
function threadNices(): { name: string; nice: number }[] {
  const threads: { name: string; nice: number }[] = [];
  for (const tid of readdirSync("/proc/self/task")) {
    let stat: string;
    let name: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      name = readFileSync(`/proc/self/task/${tid}/comm`, "utf8").trim();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ESRCH") continue;
      throw err;
    }
    // The name may hold spaces and parentheses: fields resume after the last ")", at field 3.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    threads.push({ name, nice: Number(fields[19 - 3]) });
  }
  return threads;
}

describe("helper thread priority", () => {
  it("sets the nice value of libuv's and V8's helper threads, not the event loop's", { skip: process.platform !== "linux" && "per-thread priorities are Linux's" }, async () => {
    const loopNice = threadNices().find((thread) => !HELPER_THREAD_NAMES.includes(thread.name))?.nice;
    const lowered = await lowerHelperThreadPriority(7);
    const threads = threadNices();
    const helpers = threads.filter((thread) => HELPER_THREAD_NAMES.includes(thread.name));
    assert.ok(helpers.some((thread) => thread.name === "libuv-worker"), "the threadpool was started");
    assert.ok(lowered !== null && lowered >= helpers.length, `lowered ${lowered}, helpers now ${helpers.length} (one may have exited since)`);
    assert.ok(helpers.every((thread) => thread.nice === 7), JSON.stringify(helpers));
    const others = threads.filter((thread) => !HELPER_THREAD_NAMES.includes(thread.name));
    assert.ok(others.length > 0 && others.every((thread) => thread.nice === loopNice), JSON.stringify(others));
  });

  it("refuses a nice value outside 1..19", async () => {
    for (const nice of [0, 20, -1, 1.5]) await assert.rejects(lowerHelperThreadPriority(nice), RangeError);
  });
});

describe("node config: threads.helperNice", () => {
  const homeWith = configHomes("gm-config-threads-");

  it("defaults to 19, and is read from config.yaml and overridden by GHOSTMESH_THREADS_HELPER_NICE", () => {
    assert.equal(defaultNodeConfig.threads.helperNice, 19);
    assert.equal(loadNodeConfig(homeWith(""), {}).threads.helperNice, 19);
    assert.equal(loadNodeConfig(homeWith("threads: { helperNice: 0 }\n"), {}).threads.helperNice, 0);
    assert.equal(loadNodeConfig(homeWith("threads: { helperNice: 0 }\n"), { GHOSTMESH_THREADS_HELPER_NICE: "12" }).threads.helperNice, 12);
  });

  it("refuses values outside 0..19, naming where they came from", () => {
    for (const [yaml, env] of [["threads: { helperNice: 20 }\n", {}], ["threads: { helperNice: -1 }\n", {}], ["", { GHOSTMESH_THREADS_HELPER_NICE: "99" }], ["", { GHOSTMESH_THREADS_HELPER_NICE: "low" }]] as const) {
      assert.throws(
        () => loadNodeConfig(homeWith(yaml), env),
        (err: unknown) => isGhostmeshError(err) && err.code === "NODE_CONFIG_INVALID" && (yaml === "" ? err.message.includes("GHOSTMESH_") : err.message.includes(CONFIG_FILE)),
      );
    }
  });
});
