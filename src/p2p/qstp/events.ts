import type { QstpError } from "./errors.ts";
import type { RemoteIdentity } from "./types.ts";

export type ConnectionDirection = "inbound" | "outbound";

/** Typed events of the encrypter (for logs, metrics and tests); listeners must not throw. */
export type QstpEvents = {
  "handshake:complete": CustomEvent<{ readonly direction: ConnectionDirection; readonly remote: RemoteIdentity }>;
  "handshake:failed": CustomEvent<{ readonly direction: ConnectionDirection; readonly error: QstpError }>;
  /** A key update was sent ("send") or received ("receive") on a connection. */
  "rekey": CustomEvent<{ readonly peerId: string; readonly keyDirection: "send" | "receive" }>;
  /** A secured connection was closed because of a record-layer failure. */
  "connection:failed": CustomEvent<{ readonly peerId: string; readonly error: QstpError }>;
};
