import { publicKeyToProtobuf } from "@libp2p/crypto/keys";
import { TypedEventEmitter, serviceCapabilities, type ConnectionEncrypter, type MessageStream, type PeerId, type PrivateKey, type SecureConnectionOptions, type SecuredConnection } from "@libp2p/interface";
import type { SigningKey } from "../../crypto/index.ts";
import { QSTP_PROTOCOL } from "./constants.ts";
import { EncryptedStream } from "./encryptedStream.ts";
import { isQstpError, qstpError, type QstpErrorCode } from "./errors.ts";
import type { ConnectionDirection, QstpEvents } from "./events.ts";
import { performHandshakeInitiator, performHandshakeResponder } from "./handshakeIo.ts";
import { decodePeerPublicKey } from "./identity.ts";
import { resolveQstpOptions, type QstpOptions } from "./options.ts";
import { RecordOpener, RecordSealer } from "./recordLayer.ts";
import type { Clock, HandshakeResult, QstpAllowlist, RemoteIdentity } from "./types.ts";

export type QstpModules = {
  /** The node's ML-DSA identity (validator key or node key). */
  readonly signingKey: SigningKey;
  /** Permissioned mode: only identities it allows may connect, both ways. null: anyone. */
  readonly allowlist?: QstpAllowlist | null;
  /** Time for rekey-by-age; tests pass a fake. */
  readonly clock?: Clock;
};

/** What libp2p hands every connection encrypter factory (a subset of its Components). */
export type QstpComponents = { readonly privateKey: PrivateKey };

export type QstpStats = {
  readonly handshakesCompleted: number;
  readonly handshakesFailed: Readonly<Partial<Record<QstpErrorCode, number>>>;
  readonly connectionsFailed: number;
  readonly rekeysSent: number;
  readonly rekeysReceived: number;
  readonly remoteIdentities: number;
};

const systemClock: Clock = { nowMs: () => Date.now() };

/**
 * The `/ghostmesh/qstp/1` connection encrypter for libp2p 3: a post-quantum handshake that
 * binds the Ed25519 PeerId to an ML-DSA identity, then AES-256-GCM records with rekeying.
 * The remote's identity is `remoteExtensions` of the SecuredConnection and, because libp2p's
 * upgrader drops that field, also `remoteIdentity(peerId)` while a connection to it is open.
 */
export class QstpEncrypter extends TypedEventEmitter<QstpEvents> implements ConnectionEncrypter<RemoteIdentity> {
  readonly protocol = QSTP_PROTOCOL;
  readonly [Symbol.toStringTag] = "@ghostmesh/qstp";
  readonly [serviceCapabilities]: string[] = ["@libp2p/connection-encryption"];
  readonly options: QstpOptions;
  readonly #modules: QstpModules & QstpComponents;
  readonly #clock: Clock;
  /** Bounded by open connections: an entry goes when its last connection closes. */
  readonly #identities = new Map<string, { identity: RemoteIdentity; connections: number }>();
  readonly #stats = { handshakesCompleted: 0, handshakesFailed: {} as Partial<Record<QstpErrorCode, number>>, connectionsFailed: 0, rekeysSent: 0, rekeysReceived: 0 };

  /** @throws GhostmeshError P2P_INVALID_OPTIONS (bad option, or a libp2p key that is not Ed25519). */
  constructor(opts: Partial<QstpOptions>, modules: QstpModules & QstpComponents) {
    super();
    this.options = resolveQstpOptions(opts);
    try {
      decodePeerPublicKey(publicKeyToProtobuf(modules.privateKey.publicKey));
    } catch (err) {
      throw qstpError("P2P_INVALID_OPTIONS", "qstp needs an Ed25519 libp2p private key", { keyType: modules.privateKey.type }, err);
    }
    this.#modules = modules;
    this.#clock = modules.clock ?? systemClock;
  }

  secureOutbound(connection: MessageStream, options?: SecureConnectionOptions): Promise<SecuredConnection<RemoteIdentity>> {
    return this.#secure(connection, "outbound", options);
  }

  secureInbound(connection: MessageStream, options?: SecureConnectionOptions): Promise<SecuredConnection<RemoteIdentity>> {
    return this.#secure(connection, "inbound", options);
  }

  /** The ML-DSA identity proven by `peerId` on a currently open connection. */
  remoteIdentity(peerId: PeerId): RemoteIdentity | undefined {
    return this.#identities.get(peerId.toString())?.identity;
  }

  stats(): QstpStats {
    return { ...this.#stats, handshakesFailed: { ...this.#stats.handshakesFailed }, remoteIdentities: this.#identities.size };
  }

  async #secure(connection: MessageStream, direction: ConnectionDirection, options?: SecureConnectionOptions): Promise<SecuredConnection<RemoteIdentity>> {
    const params = {
      local: { signingKey: this.#modules.signingKey, peerPrivateKey: this.#modules.privateKey },
      policy: {
        identityAlgorithmsAccepted: this.options.identityAlgorithmsAccepted,
        allowlist: this.#modules.allowlist ?? null,
        expectedPeerId: options?.remotePeer,
      },
    };
    const ioOptions = { timeoutMs: this.options.handshakeTimeoutMs, signal: options?.signal };
    let result: HandshakeResult;
    try {
      result = direction === "outbound" ? await performHandshakeInitiator(connection, params, ioOptions) : await performHandshakeResponder(connection, params, ioOptions);
    } catch (err) {
      const error = isQstpError(err) ? err : qstpError("P2P_CONNECTION_FAILED", "qstp handshake failed", {}, err);
      this.#stats.handshakesFailed[error.code] = (this.#stats.handshakesFailed[error.code] ?? 0) + 1;
      this.safeDispatchEvent("handshake:failed", { detail: { direction, error } });
      throw error;
    }
    this.#stats.handshakesCompleted += 1;
    const secured = this.#wrap(connection, result);
    this.safeDispatchEvent("handshake:complete", { detail: { direction, remote: result.remote } });
    return { connection: secured, remotePeer: result.remote.peerId, remoteExtensions: result.remote };
  }

  #wrap(connection: MessageStream, result: HandshakeResult): MessageStream {
    const peerId = result.remote.peerId.toString();
    const onRekey = (keyDirection: "send" | "receive"): void => {
      if (keyDirection === "send") this.#stats.rekeysSent += 1;
      else this.#stats.rekeysReceived += 1;
      this.safeDispatchEvent("rekey", { detail: { peerId, keyDirection } });
    };
    const sealer = new RecordSealer(result.sendKey, this.options, this.#clock, () => onRekey("send"));
    const opener = new RecordOpener(result.receiveKey, this.options, () => onRekey("receive"));
    result.sendKey.fill(0);
    result.receiveKey.fill(0);
    const secured = new EncryptedStream(connection, sealer, opener, (error) => {
      this.#stats.connectionsFailed += 1;
      this.safeDispatchEvent("connection:failed", { detail: { peerId, error } });
    });
    this.#trackIdentity(result.remote, secured);
    return secured;
  }

  #trackIdentity(identity: RemoteIdentity, secured: MessageStream): void {
    const key = identity.peerId.toString();
    const entry = this.#identities.get(key);
    this.#identities.set(key, { identity, connections: (entry?.connections ?? 0) + 1 });
    secured.addEventListener("close", () => {
      const current = this.#identities.get(key);
      if (current === undefined) return;
      if (current.connections <= 1) this.#identities.delete(key);
      else this.#identities.set(key, { identity: current.identity, connections: current.connections - 1 });
    }, { once: true });
  }
}

/**
 * libp2p factory: `createLibp2p({ connectionEncrypters: [qstp(opts, { signingKey })] })`.
 * @throws GhostmeshError P2P_INVALID_OPTIONS when libp2p builds the encrypter.
 */
export function qstp(opts: Partial<QstpOptions>, modules: QstpModules): (components: QstpComponents) => QstpEncrypter {
  resolveQstpOptions(opts);
  return (components) => new QstpEncrypter(opts, { ...modules, privateKey: components.privateKey });
}
