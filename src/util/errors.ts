/**
 * One error type for every operating error in Ghostmesh. `code` is prefixed by module
 * (`CODEC_`, `LEDGER_`, `MEMPOOL_`, ...) and `meta` carries the numbers a user needs to fix
 * the problem (`sizeBytes`, `sizeBytesMax`, `field`, ...). The API maps codes to HTTP
 * status codes in one place (api/errors.ts).
 */
export class GhostmeshError<
  Code extends string = string,
  Meta extends Record<string, unknown> = Record<string, unknown>,
> extends Error {
  readonly code: Code;
  readonly meta: Meta;

  constructor(code: Code, message: string, meta: Meta = {} as Meta, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "GhostmeshError";
    this.code = code;
    this.meta = meta;
  }
}

export function isGhostmeshError(err: unknown): err is GhostmeshError {
  return err instanceof GhostmeshError;
}

/** Message of any thrown value, for logs and CLI output. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
