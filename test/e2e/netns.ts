/**
 * A Linux network namespace joined to the root namespace by a veth pair, so an end-to-end test
 * can cut one process off the network (link down) without killing or pausing it, and without
 * touching any traffic but its own: nothing on `lo` or on the root side's other links changes.
 * Needs root and `ip` (iproute2). Names carry the test's pid; namespaces left by a test process
 * that died (SIGKILL skips `after` hooks) are deleted by the next one.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { isAlive } from "./helpers.ts";

const execFileAsync = promisify(execFile);

const NAMESPACE_PREFIX = "gm-e2e-";
/** 10.213.<n>.0/30 per namespace; n is tried from the pid on until unused on this machine. */
const SUBNET_SECOND_OCTET = 213;
const SUBNET_THIRD_OCTETS = 250;

export type Netns = {
  readonly name: string;
  /** The root namespace's end of the veth pair: processes outside listen here to be reachable from inside. */
  readonly hostAddress: string;
  /** The namespace's end: what a process inside listens on. */
  readonly innerAddress: string;
  /** argv prefix that runs a command inside: [...execPrefix, command, ...args]. */
  readonly execPrefix: readonly string[];
  /** Link state of the namespace's end: down cuts every connection between inside and outside. */
  setLink(up: boolean): Promise<void>;
  /** Deletes the namespace (and so the veth pair); safe to call twice. */
  remove(): Promise<void>;
};

async function ip(args: readonly string[]): Promise<string> {
  const { stdout } = await execFileAsync("ip", [...args], { timeout: 10_000 });
  return stdout;
}

/** Whether this process may create namespaces: root with a working `ip netns`. */
export async function netnsSupported(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  try {
    await ip(["netns", "list"]);
    return true;
  } catch {
    return false;
  }
}

/** Deletes gm-e2e-<pid> namespaces whose test process is gone. */
async function removeStaleNamespaces(): Promise<void> {
  for (const line of (await ip(["netns", "list"])).split("\n")) {
    const match = /^gm-e2e-(\d+)\b/.exec(line.trim());
    if (match === null) continue;
    const pid = Number(match[1]);
    if (pid !== process.pid && !isAlive(pid)) await ip(["netns", "del", `${NAMESPACE_PREFIX}${pid}`]).catch(() => undefined);
  }
}

async function freeSubnetOctet(): Promise<number> {
  const used = await ip(["-4", "-o", "addr", "show"]);
  for (let i = 0; i < SUBNET_THIRD_OCTETS; i++) {
    const octet = (process.pid + i) % SUBNET_THIRD_OCTETS;
    if (!used.includes(` 10.${SUBNET_SECOND_OCTET}.${octet}.`)) return octet;
  }
  throw new Error(`no free 10.${SUBNET_SECOND_OCTET}.x.0/30 subnet for a test namespace`);
}

/** Creates gm-e2e-<pid> with `lo` up and a veth pair 10.213.n.1 (outside) / 10.213.n.2 (inside). */
export async function createNetns(): Promise<Netns> {
  await removeStaleNamespaces();
  const name = `${NAMESPACE_PREFIX}${process.pid}`;
  // Interface names are at most 15 bytes: "gmv" + pid (≤ 7 digits) + side.
  const outside = `gmv${process.pid}o`;
  const inside = `gmv${process.pid}i`;
  const octet = await freeSubnetOctet();
  const hostAddress = `10.${SUBNET_SECOND_OCTET}.${octet}.1`;
  const innerAddress = `10.${SUBNET_SECOND_OCTET}.${octet}.2`;
  const inNs = (args: readonly string[]) => ip(["-n", name, ...args]);
  let removed = false;
  const remove = async () => {
    if (removed) return;
    removed = true;
    // Deleting the namespace deletes its veth end and with it the peer outside.
    await ip(["netns", "del", name]).catch(() => undefined);
    await ip(["link", "del", outside]).catch(() => undefined);
  };
  try {
    await ip(["netns", "add", name]);
    await ip(["link", "add", outside, "type", "veth", "peer", "name", inside]);
    await ip(["link", "set", inside, "netns", name]);
    await ip(["addr", "add", `${hostAddress}/30`, "dev", outside]);
    await ip(["link", "set", outside, "up"]);
    await inNs(["addr", "add", `${innerAddress}/30`, "dev", inside]);
    await inNs(["link", "set", inside, "up"]);
    await inNs(["link", "set", "lo", "up"]);
  } catch (err) {
    await remove();
    throw err;
  }
  return {
    name,
    hostAddress,
    innerAddress,
    execPrefix: ["ip", "netns", "exec", name],
    // The inside end goes down, so the outside address (where the other nodes listen) stays
    // configured and routable locally; only the path across the pair is cut.
    setLink: async (up) => void (await inNs(["link", "set", inside, up ? "up" : "down"])),
    remove,
  };
}
