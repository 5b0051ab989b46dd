/**
 * The body of one unicast request (`/ghostmesh/<chainId>/req/consensus/1`): the frames queued
 * on one link, in order. `frame = u8 topic | u32 length (big-endian) | bytes`, repeated.
 * Batching keeps a link's order (one request in flight per link) without paying a stream per
 * message when several wait.
 */
import { NetworkTopic, type NetworkFrame } from "../consensus/index.ts";
import { assert } from "../../util/index.ts";

const TOPIC_CODES: readonly NetworkTopic[] = [NetworkTopic.consensus, NetworkTopic.tx];
const FRAME_HEADER_BYTES = 5;

export function unicastFrameSizeBytes(frame: NetworkFrame): number {
  return FRAME_HEADER_BYTES + frame.bytes.byteLength;
}

export function encodeUnicastFrames(frames: readonly NetworkFrame[]): Uint8Array {
  assert(frames.length > 0, "encodeUnicastFrames: at least one frame");
  const out = new Uint8Array(frames.reduce((sum, frame) => sum + unicastFrameSizeBytes(frame), 0));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const frame of frames) {
    out[offset] = TOPIC_CODES.indexOf(frame.topic);
    view.setUint32(offset + 1, frame.bytes.byteLength);
    out.set(frame.bytes, offset + FRAME_HEADER_BYTES);
    offset += unicastFrameSizeBytes(frame);
  }
  assert(offset === out.byteLength, "encodeUnicastFrames: wrote every byte");
  return out;
}

/** The frames of a request, or a reason it is malformed (the caller refuses the request). */
export function decodeUnicastFrames(bytes: Uint8Array, framesMax: number): NetworkFrame[] | { readonly problem: string } {
  const frames: NetworkFrame[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  while (offset < bytes.byteLength) {
    if (frames.length >= framesMax) return { problem: `more than ${framesMax} frames` };
    if (bytes.byteLength - offset < FRAME_HEADER_BYTES) return { problem: "truncated frame header" };
    const topic = TOPIC_CODES[bytes[offset] as number];
    if (topic === undefined) return { problem: `unknown topic code ${bytes[offset]}` };
    const length = view.getUint32(offset + 1);
    const start = offset + FRAME_HEADER_BYTES;
    if (length === 0 || length > bytes.byteLength - start) return { problem: "frame length out of range" };
    frames.push({ topic, bytes: bytes.subarray(start, start + length) });
    offset = start + length;
  }
  if (frames.length === 0) return { problem: "no frames" };
  return frames;
}
