/**
 * Frames to one validator (a vote to the next leader, block requests and responses, a
 * proposal sent link by link) over request/response `/ghostmesh/<chainId>/req/consensus/1`.
 * One queue per destination with at most one request in flight: the frames of a link arrive
 * in send order, and frames that queued meanwhile travel together in the next request.
 * A frame whose destination is not connected, or whose request fails, is lost, as on any
 * network: the engine recovers by timeouts and block fetching.
 */
import { CONSENSUS_MESSAGE_BYTES_MAX } from "../../consensus/index.ts";
import { isGhostmeshError, errorMessage } from "../../util/index.ts";
import type { P2pHost } from "../../p2p/index.ts";
import type { NetworkFrame } from "../consensus/index.ts";
import type { Logger } from "../types.ts";
import { encodeUnicastFrames, unicastFrameSizeBytes } from "./unicastFrames.ts";
import type { ValidatorPeers } from "./validatorPeers.ts";

/** The request/response protocol name (decision 0503). */
export const UNICAST_PROTOCOL = "consensus";
/** Frames waiting on one link before new ones are dropped; far above a healthy backlog. */
export const UNICAST_LINK_FRAMES_MAX = 10_000;
/** A request carries frames up to this size (a single larger frame goes alone). */
const UNICAST_BATCH_BYTES_TARGET = 4 * 1024 * 1024;
/** The largest request: one largest consensus message plus frame headers. */
export const UNICAST_REQUEST_BYTES_MAX = CONSENSUS_MESSAGE_BYTES_MAX + 64 * 1024;
/** Frames one request may carry (the server refuses more). */
export const UNICAST_REQUEST_FRAMES_MAX = 4_096;
/** A whole exchange: loopback or LAN carries a 64 MiB block response well within it. */
const UNICAST_TIMEOUT_MS = 10_000;

type Link = { frames: NetworkFrame[]; sending: boolean };

export type UnicastStats = { framesSent: number; framesDropped: number; requestsFailed: number };

export class UnicastLinks {
  private readonly links = new Map<number, Link>();
  private readonly host: P2pHost;
  private readonly peers: ValidatorPeers;
  private readonly logger: Logger;
  private open = true;
  readonly stats: UnicastStats = { framesSent: 0, framesDropped: 0, requestsFailed: 0 };

  constructor(modules: { readonly host: P2pHost; readonly peers: ValidatorPeers; readonly logger: Logger }) {
    this.host = modules.host;
    this.peers = modules.peers;
    this.logger = modules.logger;
  }

  send(to: number, frame: NetworkFrame): void {
    if (!this.open) return;
    let link = this.links.get(to);
    if (link === undefined) {
      link = { frames: [], sending: false };
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
        const peerId = this.peers.peerIdOf(this.host, to);
        if (peerId === undefined) {
          this.stats.framesDropped += batch.length;
          continue;
        }
        try {
          await this.host.request(peerId, UNICAST_PROTOCOL, encodeUnicastFrames(batch), { timeoutMs: UNICAST_TIMEOUT_MS, responseSizeBytesMax: 1024 });
          this.stats.framesSent += batch.length;
        } catch (err) {
          this.stats.requestsFailed++;
          this.stats.framesDropped += batch.length;
          if (!isGhostmeshError(err)) throw err;
          this.logger.debug({ to, frames: batch.length, code: err.code, err: err.message }, "Unicast to a validator failed; frames lost");
        }
      }
    } catch (err) {
      this.logger.error({ to, err: errorMessage(err) }, "Unicast link failed");
    } finally {
      link.sending = false;
    }
  }
}

/** Removes and returns the frames of the next request: at least one, then up to the target size. */
function takeBatch(frames: NetworkFrame[]): NetworkFrame[] {
  let sizeBytes = unicastFrameSizeBytes(frames[0] as NetworkFrame);
  let count = 1;
  while (count < frames.length && count < UNICAST_REQUEST_FRAMES_MAX) {
    const next = unicastFrameSizeBytes(frames[count] as NetworkFrame);
    if (sizeBytes + next > UNICAST_BATCH_BYTES_TARGET) break;
    sizeBytes += next;
    count++;
  }
  return frames.splice(0, count);
}
