/**
 * Peer-to-peer settings of a development network on loopback: each home's config.yaml gets
 * its API port, its p2p listen address and every other node as a bootstrap peer
 * (`/ip4/127.0.0.1/tcp/<port>/p2p/<PeerId>`, the PeerId from the node key each home keeps),
 * so `ghostmesh start --home` on any one home rejoins on the same ports.
 */
import { writeFileSync } from "node:fs";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { loadOrCreateNodeKey } from "../../p2p/index.ts";
import { assert } from "../../util/index.ts";
import type { DevnetHomes } from "../consensus/index.ts";
import { loadNodeConfig, renderNodeConfig } from "../config.ts";
import { homePaths } from "../home.ts";

const LOOPBACK = "127.0.0.1";

export type P2pDevnetNode = {
  readonly name: string;
  readonly home: string;
  readonly apiPort: number;
  readonly peerId: string;
  /** The node's dialable address, with its PeerId. */
  readonly p2p: string;
};

/** Writes each home's config (file values kept; api, p2p.listen and p2p.bootstrap replaced). */
export async function configureP2pDevnet(homes: DevnetHomes, ports: { readonly api: readonly number[]; readonly p2p: readonly number[] }): Promise<P2pDevnetNode[]> {
  const count = homes.homes.length;
  assert(ports.api.length === count && ports.p2p.length === count, "configureP2pDevnet: one API and one p2p port per node");
  const nodes: P2pDevnetNode[] = [];
  for (const [i, { name, home }] of homes.homes.entries()) {
    const peerId = peerIdFromPrivateKey(await loadOrCreateNodeKey(homePaths(home).p2pKey)).toString();
    nodes.push({ name, home, apiPort: ports.api[i] as number, peerId, p2p: `/ip4/${LOOPBACK}/tcp/${ports.p2p[i]}/p2p/${peerId}` });
  }
  for (const [i, node] of nodes.entries()) {
    const config = loadNodeConfig(node.home, {});
    const bootstrap = nodes.filter((other) => other !== node).map((other) => other.p2p);
    writeFileSync(
      homePaths(node.home).config,
      renderNodeConfig({ ...config, api: { host: LOOPBACK, port: node.apiPort }, p2p: { ...config.p2p, listen: `/ip4/${LOOPBACK}/tcp/${ports.p2p[i]}`, bootstrap } }),
    );
  }
  return nodes;
}
