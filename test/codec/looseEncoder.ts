/**
 * An independent, deliberately loose CBOR encoder for tests: driven by a tape of choices,
 * it writes a value in any valid CBOR form: wider heads, indefinite lengths, floats for
 * integers, wider floats, map entries in any order. The canonical form is one of its
 * outputs; every other output must be refused by decodeCanonical as CODEC_NOT_CANONICAL.
 */
import type { CborValue } from "../../src/codec/index.ts";

export class ChoiceTape {
  private readonly choices: readonly number[];
  private index = 0;

  constructor(choices: readonly number[]) {
    this.choices = choices.length === 0 ? [0] : choices;
  }

  /** A choice in [0, options); 0 is the canonical choice and the most frequent. */
  pick(options: number): number {
    const raw = this.choices[this.index++ % this.choices.length] as number;
    return raw < 4 ? 0 : raw % options;
  }
}

const textEncoder = new TextEncoder();

function head(out: number[], major: number, argument: number, tape: ChoiceTape): void {
  const minimal = argument < 24 ? 0 : argument < 0x100 ? 1 : argument < 0x10000 ? 2 : argument < 0x100000000 ? 3 : 4;
  const width = Math.min(4, minimal + tape.pick(3));
  if (width === 0) {
    out.push((major << 5) | argument);
    return;
  }
  const argumentBytes = 1 << (width - 1);
  out.push((major << 5) | (23 + width));
  for (let i = argumentBytes - 1; i >= 0; i--) out.push(Math.floor(argument / 2 ** (8 * i)) % 256);
}

function float(out: number[], value: number, tape: ChoiceTape): void {
  const view = new DataView(new ArrayBuffer(8));
  if (Math.fround(value) === value && tape.pick(2) === 0) {
    view.setFloat32(0, value);
    out.push(0xfa, ...new Uint8Array(view.buffer, 0, 4));
    return;
  }
  view.setFloat64(0, value);
  out.push(0xfb, ...new Uint8Array(view.buffer));
}

function number(out: number[], value: number, tape: ChoiceTape): void {
  if (!Number.isInteger(value)) return float(out, value, tape);
  if (tape.pick(6) === 5) return float(out, value, tape); // an integer written as a float
  if (value >= 0) head(out, 0, value, tape);
  else head(out, 1, -1 - value, tape);
}

function chunked(out: number[], major: number, bytes: Uint8Array, tape: ChoiceTape): void {
  if (tape.pick(5) !== 4) {
    head(out, major, bytes.length, tape);
    out.push(...bytes);
    return;
  }
  // Indefinite length: one definite chunk, then break (chunks must not split UTF-8 characters).
  out.push((major << 5) | 31);
  head(out, major, bytes.length, tape);
  out.push(...bytes, 0xff);
}

function encodedKey(key: string, tape: ChoiceTape): number[] {
  const out: number[] = [];
  chunked(out, 3, textEncoder.encode(key), tape);
  return out;
}

function compareBytes(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

function container(out: number[], major: number, count: number, tape: ChoiceTape, body: () => void): void {
  const indefinite = tape.pick(5) === 4;
  if (indefinite) out.push((major << 5) | 31);
  else head(out, major, count, tape);
  body();
  if (indefinite) out.push(0xff);
}

function write(out: number[], value: CborValue, tape: ChoiceTape): void {
  if (value === null) out.push(0xf6);
  else if (value === true) out.push(0xf5);
  else if (value === false) out.push(0xf4);
  else if (typeof value === "number") number(out, value, tape);
  else if (typeof value === "string") chunked(out, 3, textEncoder.encode(value), tape);
  else if (value instanceof Uint8Array) chunked(out, 2, value, tape);
  else if (Array.isArray(value)) {
    const items: readonly CborValue[] = value;
    container(out, 4, items.length, tape, () => items.forEach((item) => write(out, item, tape)));
  } else {
    const entries = Object.entries(value).map(([key, item]) => ({ key: encodedKey(key, tape), item }));
    entries.sort((a, b) => compareBytes(a.key, b.key));
    if (entries.length > 1 && tape.pick(4) === 3) entries.reverse();
    container(out, 5, entries.length, tape, () => {
      for (const entry of entries) {
        out.push(...entry.key);
        write(out, entry.item, tape);
      }
    });
  }
}

export function looseEncode(value: CborValue, tape: ChoiceTape): Uint8Array {
  const out: number[] = [];
  write(out, value, tape);
  return new Uint8Array(out);
}
