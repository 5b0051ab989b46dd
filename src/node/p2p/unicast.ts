/**
 * Frames to one validator (a vote to the next leader, block requests and responses, a
 * proposal sent link by link) as one-way messages on a stream kept open per validator,
 * `/ghostmesh/<chainId>/msg/consensus/1` (decision 0503). One queue per destination with at
 * most one write in flight: the frames of a link arrive in send order, and frames that queued
 * meanwhile travel together in the next message.
 *
 * Why messages: a request per batch opened a stream per batch, and every stream pays
 * multistream-select's round trip before its first byte, then waits for an answer before the
 * next batch may go; above 16 validators each vote paid both (decision 0503, "Unicast as
 * messages"). A validator of an earlier version serves these frames only as requests
 * (`/ghostmesh/<chainId>/req/consensus/2`, still served here): its link sends requests for a
 * while, then tries messages again, so a committee upgraded one validator at a time keeps its
 * links.
 * A frame whose destination is not connected, or whose write fails, is lost, as on any
 * network: the engine recovers by timeouts and block fetching.
 *
 * A validator connected as two peers (back under a new PeerId before its old connection
 * closed, or its key run in two processes) gets each message on both: the link waits for the
 * first, and the second is sent alongside, not waited for. A copy of a key that heard nothing
 * would time out every view, and those timeouts would stop the validator that runs on
 * (decision 0200, "Session 34"); one that hears the chain keeps out of the other's way.
 */
import { CONSENSUS_MESSAGE_BYTES_MAX } from "../../consensus/index.ts";
import { isGhostmeshError, errorMessage } from "../../util/index.ts";
import { isP2pHostError, type P2pHost } from "../../p2p/index.ts";
import type { PeerId } from "@libp2p/interface";
import type { NetworkFrame } from "../consensus/index.ts";
import type { Clock, Logger } from "../types.ts";
import { encodeUnicastFrames, unicastFrameSizeBytes } from "./unicastFrames.ts";
import type { ValidatorPeers } from "./validatorPeers.ts";

/** The protocol name, of both the message protocol and the request protocol of earlier versions (decision 0503). */
export const UNICAST_PROTOCOL = "consensus";
/** Frames waiting on one link before new ones are dropped; far above a healthy backlog. */
export const UNICAST_LINK_FRAMES_MAX = 10_000;
/** A message carries frames up to this size (a single larger frame goes alone). */
const UNICAST_BATCH_BYTES_TARGET = 4 * 1024 * 1024;
/** The largest message (or request): one largest consensus message plus frame headers. */
export const UNICAST_MESSAGE_BYTES_MAX = CONSENSUS_MESSAGE_BYTES_MAX + 64 * 1024;
/** Frames one message may carry (the receiver refuses more). */
export const UNICAST_MESSAGE_FRAMES_MAX = 4_096;
/** A whole request exchange (earlier versions): loopback or LAN carries a 64 MiB block response well within it. */
const UNICAST_REQUEST_TIMEOUT_MS = 10_000;
/** How long a link to a validator that serves only requests keeps sending requests before it tries messages again (the validator may have upgraded). */
export const UNICAST_REQUESTS_ONLY_MS = 60_000;
/** Messages in flight, over all links, to the second peer of a validator connected twice; more are not sent there (such a peer may be a dead connection). */
const UNICAST_SECOND_PEER_SENDS_MAX = 16;

type Link = { frames: NetworkFrame[]; sending: boolean; requestsOnlyUntilMs: number };

export type UnicastStats = { framesSent: number; framesDropped: number; sendsFailed: number; sentByRequest: number };

export type UnicastLinksModules = {
  readonly host: P2pHost;
  readonly peers: ValidatorPeers;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Counters to add to; the network passes its own so they outlive a set of links (a re-sync replaces the links). */
  readonly stats?: UnicastStats;
};

export function emptyUnicastStats(): UnicastStats {
  return { framesSent: 0, framesDropped: 0, sendsFailed: 0, sentByRequest: 0 };
}

export class UnicastLinks {
  private readonly links = new Map<number, Link>();
  private readonly modules: UnicastLinksModules;
  private open = true;
  private secondPeerSends = 0;
  readonly stats: UnicastStats;

  constructor(modules: UnicastLinksModules) {
    this.modules = modules;
    this.stats = modules.stats ?? emptyUnicastStats();
  }

  send(to: number, frame: NetworkFrame): void {
    if (!this.open) return;
    let link = this.links.get(to);
    if (link === undefined) {
      link = { frames: [], sending: false, requestsOnlyUntilMs: 0 };
      this.links.set(to, link);
    }
    if (link.frames.length >= UNICAST_LINK_FRAMES_MAX) {
      this.stats.framesDropped++;
      return;
    }
    link.frames.push(frame);
    if (!link.sending) {
      link.sending = true;
      void this.drain(to, link);
    }
  }

  close(): void {
    this.open = false;
    for (const link of this.links.values()) link.frames.length = 0;
  }

  private async drain(to: number, link: Link): Promise<void> {
    try {
      while (this.open && link.frames.length > 0) {
        const batch = takeBatch(link.frames);
        const [peerId, ...alsoPeerIds] = this.modules.peers.peerIdsOf(this.modules.host, to);
        if (peerId === undefined) {
          this.stats.framesDropped += batch.length;
          continue;
        }
        const body = encodeUnicastFrames(batch);
        for (const also of alsoPeerIds) this.sendToSecondPeer(to, also, body);
        try {
          await this.deliver(peerId, link, body);
          this.stats.framesSent += batch.length;
        } catch (err) {
          this.stats.sendsFailed++;
          this.stats.framesDropped += batch.length;
          if (!isGhostmeshError(err)) throw err;
          this.modules.logger.debug({ to, frames: batch.length, code: err.code, err: err.message }, "Unicast to a validator failed; frames lost");
        }
      }
    } catch (err) {
      this.modules.logger.error({ to, err: errorMessage(err) }, "Unicast link failed");
    } finally {
      link.sending = false;
    }
  }

  /** Sends a link's message to another peer of the same validator, without waiting (see the file comment). */
  private sendToSecondPeer(to: number, peerId: PeerId, body: Uint8Array): void {
    if (this.secondPeerSends >= UNICAST_SECOND_PEER_SENDS_MAX) return;
    this.secondPeerSends++;
    this.modules.host
      .sendMessage(peerId, UNICAST_PROTOCOL, body, { messageSizeBytesMax: UNICAST_MESSAGE_BYTES_MAX })
      .catch((err: unknown) => this.modules.logger.debug({ to, peerId: peerId.toString(), err: errorMessage(err) }, "Unicast to a validator's second peer failed"))
      .finally(() => this.secondPeerSends--);
  }

  /** As a message; as a request to a validator that does not serve the message protocol. */
  private async deliver(peerId: PeerId, link: Link, body: Uint8Array): Promise<void> {
    const { host, clock } = this.modules;
    if (clock.nowMs() >= link.requestsOnlyUntilMs) {
      try {
        return await host.sendMessage(peerId, UNICAST_PROTOCOL, body, { messageSizeBytesMax: UNICAST_MESSAGE_BYTES_MAX });
      } catch (err) {
        if (!isP2pHostError(err, "P2P_PROTOCOL_UNSUPPORTED")) throw err;
        link.requestsOnlyUntilMs = clock.nowMs() + UNICAST_REQUESTS_ONLY_MS;
        this.modules.logger.info({ peerId: peerId.toString(), retryInMs: UNICAST_REQUESTS_ONLY_MS }, "Validator takes consensus frames only as requests (an earlier version); sending requests");
      }
    }
    await host.request(peerId, UNICAST_PROTOCOL, body, { timeoutMs: UNICAST_REQUEST_TIMEOUT_MS, responseSizeBytesMax: 1024 });
    this.stats.sentByRequest++;
  }
}

/** Removes and returns the frames of the next message: at least one, then up to the target size. */
function takeBatch(frames: NetworkFrame[]): NetworkFrame[] {
  let sizeBytes = unicastFrameSizeBytes(frames[0] as NetworkFrame);
  let count = 1;
  while (count < frames.length && count < UNICAST_MESSAGE_FRAMES_MAX) {
    const next = unicastFrameSizeBytes(frames[count] as NetworkFrame);
    if (sizeBytes + next > UNICAST_BATCH_BYTES_TARGET) break;
    sizeBytes += next;
    count++;
  }
  return frames.splice(0, count);
}
