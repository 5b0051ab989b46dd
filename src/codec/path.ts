import { GhostmeshError } from "../util/index.ts";
import type { CodecFieldErrorMeta } from "./errors.ts";

/** One step into a value: an object key or an array index. */
export type PathSegment = string | number;

/**
 * Internal failure of a value walker or schema. The happy path builds no path strings:
 * each container level catches the issue, appends its own segment and rethrows, and the
 * entry point turns it into a GhostmeshError once, with the whole path (see `toFieldError`).
 * Never escapes the codec module.
 */
export class PathIssue extends Error {
  /** Innermost segment first; reversed when the path is formatted. */
  readonly segments: PathSegment[] = [];
  readonly expected: string;
  readonly got: string;
  /** Set for unknown/missing fields: the message names the parent and quotes this key. */
  readonly fieldKey: string | undefined;
  readonly detail: string | undefined;

  constructor(expected: string, got: string, fieldKey?: string, detail?: string) {
    super(detail ?? `expected ${expected}, got ${got}`);
    this.name = "PathIssue";
    this.expected = expected;
    this.got = got;
    this.fieldKey = fieldKey;
    this.detail = detail;
  }
}

/** Adds `segment` to an issue passing outwards; rethrows anything else unchanged. */
export function rethrowWithSegment(err: unknown, segment: PathSegment): never {
  if (err instanceof PathIssue) err.segments.push(segment);
  throw err;
}

const IDENTIFIER_PATTERN = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Keys shown in messages are cut so a hostile 1 MiB key cannot bloat logs and replies. */
const KEY_DISPLAY_CHARS_MAX = 64;

export function quoteKey(key: string): string {
  const shown = key.length > KEY_DISPLAY_CHARS_MAX ? `${key.slice(0, KEY_DISPLAY_CHARS_MAX)}...` : key;
  return JSON.stringify(shown);
}

export function appendSegment(path: string, segment: PathSegment): string {
  if (typeof segment === "number") return `${path}[${segment}]`;
  if (IDENTIFIER_PATTERN.test(segment)) return `${path}.${segment}`;
  return `${path}[${quoteKey(segment)}]`;
}

export function formatPath(root: string, segments: readonly PathSegment[]): string {
  let path = root;
  for (let i = segments.length - 1; i >= 0; i--) path = appendSegment(path, segments[i] as PathSegment);
  return path;
}

/** The one place a PathIssue becomes a user-facing error naming the field path. */
export function toFieldError<Code extends "CODEC_SCHEMA" | "CODEC_UNENCODABLE">(
  code: Code,
  issue: PathIssue,
  root: string,
  messagePrefix = "",
): GhostmeshError<Code, CodecFieldErrorMeta> {
  const parent = formatPath(root, issue.segments);
  if (issue.fieldKey !== undefined) {
    const field = appendSegment(parent, issue.fieldKey);
    const message = `${parent}: ${messagePrefix}${issue.detail ?? "invalid field"} ${quoteKey(issue.fieldKey)}`;
    return new GhostmeshError(code, message, { field, expected: issue.expected, got: issue.got });
  }
  return new GhostmeshError(code, `${parent}: ${messagePrefix}${issue.message}`, {
    field: parent,
    expected: issue.expected,
    got: issue.got,
  });
}

/** "1 byte", "3 bytes": counts in messages. */
export function countText(count: number, unit: "byte" | "item" | "entry"): string {
  if (count === 1) return `1 ${unit}`;
  return `${count} ${unit === "entry" ? "entries" : `${unit}s`}`;
}

/** Short description of what a value is, for the `got` half of a message. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  switch (typeof value) {
    case "boolean":
      return "boolean";
    case "number":
      return Number.isFinite(value) ? String(value) : `number ${String(value)}`;
    case "string":
      return "string";
    case "bigint":
      return "bigint";
    case "function":
      return "function";
    case "symbol":
      return "symbol";
  }
  if (value instanceof Uint8Array) return "bytes";
  if (Array.isArray(value)) return "array";
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return "object";
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name !== "" ? name : "object";
}
