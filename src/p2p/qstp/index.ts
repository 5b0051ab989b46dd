/** The `/ghostmesh/qstp/1` connection encrypter: the only import surface of p2p/qstp. */
export { qstp, QstpEncrypter } from "./encrypter.ts";
export type { QstpModules, QstpComponents, QstpStats } from "./encrypter.ts";
export { defaultQstpOptions, resolveQstpOptions } from "./options.ts";
export type { QstpOptions } from "./options.ts";
export { AddressAllowlist, ALLOWLIST_ENTRIES_MAX } from "./allowlist.ts";
export type { QstpError, QstpErrorCode } from "./errors.ts";
export { isQstpError } from "./errors.ts";
export type { QstpEvents, ConnectionDirection } from "./events.ts";
export type { RemoteIdentity, LocalIdentity, QstpAllowlist, HandshakeResult, HandshakePolicy, Clock } from "./types.ts";
export { InitiatorHandshake, ResponderHandshake } from "./handshake.ts";
export type { HandshakeParams } from "./handshake.ts";
export { performHandshakeInitiator, performHandshakeResponder } from "./handshakeIo.ts";
export type { HandshakeIoOptions } from "./handshakeIo.ts";
export { RecordSealer, RecordOpener } from "./recordLayer.ts";
export {
  QSTP_PROTOCOL,
  QSTP_VERSION,
  HANDSHAKE_MESSAGE_SIZE_BYTES_MAX,
  FRAME_HEADER_SIZE_BYTES,
  RecordType,
} from "./constants.ts";
