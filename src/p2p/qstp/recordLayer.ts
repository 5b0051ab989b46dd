import { Uint8ArrayList } from "uint8arraylist";
import { AEAD_NONCE_SIZE_BYTES, AEAD_TAG_SIZE_BYTES, aeadKey, aeadOpenDetached, aeadSealDetached, type AeadKey } from "../../crypto/index.ts";
import { assert } from "../../util/index.ts";
import { FRAME_HEADER_SIZE_BYTES, FRAME_LENGTH_SIZE_BYTES, RecordType, type RecordTypeId } from "./constants.ts";
import { qstpError } from "./errors.ts";
import { nextTrafficKey } from "./keySchedule.ts";
import type { QstpOptions } from "./options.ts";
import type { Clock } from "./types.ts";

/*
 * Record layer. Frame = u32 length | u8 type | AES-256-GCM(key, nonce, plaintext, aad = the
 * 5 header bytes) where length counts the sealed bytes (ciphertext + 16-byte tag). Nonces are
 * implicit: 4 zero bytes | u64 record counter, counted separately per direction and per key,
 * never sent, so a dropped, reordered or replayed record fails authentication.
 * Rekey: before a data record, if the key has sealed `rekeyBytes` or is `rekeyIntervalMs`
 * old, the sender seals an empty keyUpdate record under the old key, then both ends step
 * their copy of that direction's key (key' = HKDF(key, "ghostmesh/v1/qstp/rekey")) and reset
 * the counter. The key update is authenticated like data, so nobody else can trigger it.
 */

type RecordLimits = Pick<QstpOptions, "recordSizeBytesMax" | "rekeyBytes" | "rekeyIntervalMs" | "recordsPerKeyMax">;

/** A key (raw, for the ratchet, and prepared for AES-GCM), its record counter and the nonce built from it. */
class KeyState {
  key: Uint8Array;
  cipherKey: AeadKey;
  counter = 0;
  keyIndex = 0;
  readonly #nonce = new Uint8Array(AEAD_NONCE_SIZE_BYTES);
  readonly #nonceView = new DataView(this.#nonce.buffer);

  constructor(key: Uint8Array) {
    assert(key.byteLength === 32, "KeyState: 32-byte key");
    this.key = key.slice();
    this.cipherKey = aeadKey(this.key);
  }

  /** The nonce for the current counter; the caller seals or opens once, then calls advance(). */
  nonce(recordsPerKeyMax: number, direction: "send" | "receive"): Uint8Array {
    if (this.counter >= recordsPerKeyMax) {
      throw qstpError("P2P_NONCE_EXHAUSTED", `${recordsPerKeyMax} records were ${direction === "send" ? "sent" : "received"} under one key without a key update; closing rather than reuse a nonce`, {
        recordsPerKeyMax,
        direction,
      });
    }
    this.#nonceView.setUint32(4, Math.floor(this.counter / 2 ** 32));
    this.#nonceView.setUint32(8, this.counter >>> 0);
    return this.#nonce;
  }

  advance(): void {
    this.counter += 1;
  }

  ratchet(): void {
    const next = nextTrafficKey(this.key);
    this.key.fill(0);
    this.key = next;
    this.cipherKey = aeadKey(next);
    this.counter = 0;
    this.keyIndex += 1;
  }

  wipe(): void {
    this.key.fill(0);
  }
}

function frameHeader(type: RecordTypeId, sealedSizeBytes: number): Uint8Array {
  const header = new Uint8Array(FRAME_HEADER_SIZE_BYTES);
  new DataView(header.buffer).setUint32(0, sealedSizeBytes);
  header[FRAME_LENGTH_SIZE_BYTES] = type;
  return header;
}

export class RecordSealer {
  readonly #state: KeyState;
  readonly #limits: RecordLimits;
  readonly #clock: Clock;
  readonly #onRekey: () => void;
  #bytesUnderKey = 0;
  #keyStartMs: number;

  constructor(key: Uint8Array, limits: RecordLimits, clock: Clock, onRekey: () => void = () => {}) {
    this.#state = new KeyState(key);
    this.#limits = limits;
    this.#clock = clock;
    this.#onRekey = onRekey;
    this.#keyStartMs = clock.nowMs();
  }

  get keyIndex(): number {
    return this.#state.keyIndex;
  }

  /**
   * Frames for `plaintext`, split into records of at most recordSizeBytesMax.
   * @throws GhostmeshError P2P_NONCE_EXHAUSTED.
   */
  seal(plaintext: Uint8Array | Uint8ArrayList): Uint8ArrayList {
    const out = new Uint8ArrayList();
    const recordSizeBytesMax = this.#limits.recordSizeBytesMax;
    for (let start = 0; start < plaintext.byteLength; start += recordSizeBytesMax) {
      const end = Math.min(start + recordSizeBytesMax, plaintext.byteLength);
      if (this.#rekeyDue()) this.#sendKeyUpdate(out);
      this.#sealRecord(out, RecordType.data, plaintext.subarray(start, end));
      this.#bytesUnderKey += end - start;
    }
    return out;
  }

  /** Sends a key update now, whatever the limits say (tests, and callers that want one). */
  rekey(): Uint8ArrayList {
    const out = new Uint8ArrayList();
    this.#sendKeyUpdate(out);
    return out;
  }

  wipe(): void {
    this.#state.wipe();
  }

  #rekeyDue(): boolean {
    return this.#bytesUnderKey >= this.#limits.rekeyBytes || this.#clock.nowMs() - this.#keyStartMs >= this.#limits.rekeyIntervalMs;
  }

  #sendKeyUpdate(out: Uint8ArrayList): void {
    this.#sealRecord(out, RecordType.keyUpdate, new Uint8Array(0));
    this.#state.ratchet();
    this.#bytesUnderKey = 0;
    this.#keyStartMs = this.#clock.nowMs();
    this.#onRekey();
  }

  #sealRecord(out: Uint8ArrayList, type: RecordTypeId, plaintext: Uint8Array): void {
    const nonce = this.#state.nonce(this.#limits.recordsPerKeyMax, "send");
    const header = frameHeader(type, plaintext.byteLength + AEAD_TAG_SIZE_BYTES);
    const { ciphertext, tag } = aeadSealDetached(this.#state.cipherKey, nonce, plaintext, header);
    this.#state.advance();
    out.append(header, ciphertext, tag);
  }
}

export class RecordOpener {
  readonly #state: KeyState;
  readonly #limits: RecordLimits;
  readonly #onRekey: () => void;
  readonly #buffer = new Uint8ArrayList();

  constructor(key: Uint8Array, limits: RecordLimits, onRekey: () => void = () => {}) {
    this.#state = new KeyState(key);
    this.#limits = limits;
    this.#onRekey = onRekey;
  }

  get keyIndex(): number {
    return this.#state.keyIndex;
  }

  /** Bytes of an incomplete frame held until the rest arrives (at most one frame). */
  get bufferedBytes(): number {
    return this.#buffer.byteLength;
  }

  /**
   * Feeds received bytes; returns the plaintext of every frame they complete.
   * @throws GhostmeshError P2P_FRAME_TOO_LARGE, P2P_FRAME_MALFORMED, P2P_RECORD_AUTH_FAILED or
   *   P2P_NONCE_EXHAUSTED; the stream is then unusable.
   */
  open(chunk: Uint8Array | Uint8ArrayList): Uint8ArrayList {
    this.#buffer.append(chunk);
    const out = new Uint8ArrayList();
    while (this.#buffer.byteLength >= FRAME_HEADER_SIZE_BYTES) {
      const sealedSizeBytes = this.#buffer.getUint32(0);
      const type = this.#buffer.get(FRAME_LENGTH_SIZE_BYTES);
      this.#checkHeader(sealedSizeBytes, type);
      if (this.#buffer.byteLength < FRAME_HEADER_SIZE_BYTES + sealedSizeBytes) break;
      const frameEnd = FRAME_HEADER_SIZE_BYTES + sealedSizeBytes;
      const header = this.#buffer.subarray(0, FRAME_HEADER_SIZE_BYTES);
      // The ciphertext stays in the pieces it arrived in (a list, not joined); the tag is 16 bytes.
      const ciphertext = this.#buffer.sublist(FRAME_HEADER_SIZE_BYTES, frameEnd - AEAD_TAG_SIZE_BYTES);
      const tag = this.#buffer.subarray(frameEnd - AEAD_TAG_SIZE_BYTES, frameEnd);
      const plaintext = this.#openRecord(header, ciphertext, tag);
      this.#buffer.consume(frameEnd);
      if (type === RecordType.keyUpdate) {
        this.#state.ratchet();
        this.#onRekey();
      } else {
        out.append(...plaintext);
      }
    }
    return out;
  }

  wipe(): void {
    this.#state.wipe();
    this.#buffer.consume(this.#buffer.byteLength);
  }

  /** Runs on the 5 header bytes alone, so an oversized claim is refused before its body is buffered. */
  #checkHeader(sealedSizeBytes: number, type: number): void {
    const sealedSizeBytesMax = this.#limits.recordSizeBytesMax + AEAD_TAG_SIZE_BYTES;
    if (sealedSizeBytes > sealedSizeBytesMax) {
      throw qstpError("P2P_FRAME_TOO_LARGE", `record frame claims ${sealedSizeBytes} bytes, at most ${sealedSizeBytesMax} allowed`, {
        sizeBytes: sealedSizeBytes,
        sizeBytesMax: sealedSizeBytesMax,
      });
    }
    if (type !== RecordType.data && type !== RecordType.keyUpdate) {
      throw qstpError("P2P_FRAME_MALFORMED", `unknown record type ${type}`, { type });
    }
    const sizeBytesMin = AEAD_TAG_SIZE_BYTES;
    if (sealedSizeBytes < sizeBytesMin || (type === RecordType.keyUpdate && sealedSizeBytes !== sizeBytesMin)) {
      throw qstpError("P2P_FRAME_MALFORMED", `record of type ${type} cannot be ${sealedSizeBytes} bytes`, { type, sizeBytes: sealedSizeBytes });
    }
  }

  #openRecord(header: Uint8Array, ciphertext: Iterable<Uint8Array>, tag: Uint8Array): Uint8Array[] {
    const nonce = this.#state.nonce(this.#limits.recordsPerKeyMax, "receive");
    let plaintext: Uint8Array[];
    try {
      plaintext = aeadOpenDetached(this.#state.cipherKey, nonce, ciphertext, tag, header);
    } catch (err) {
      throw qstpError("P2P_RECORD_AUTH_FAILED", "a record failed authentication: it was altered, replayed, reordered or dropped", {
        recordIndex: this.#state.counter,
        keyIndex: this.#state.keyIndex,
      }, err);
    }
    this.#state.advance();
    return plaintext;
  }
}
