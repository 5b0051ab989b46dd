/** The node's randomness for Dandelion: unpredictable to peers (an adversary who could predict successors could place itself there). */
import { randomInt } from "node:crypto";
import type { DandelionRandom } from "./types.ts";

export const cryptoRandom: DandelionRandom = { below: (bound: number) => randomInt(bound) };
