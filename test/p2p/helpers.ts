import assert from "node:assert/strict";
import { yamux } from "@chainsafe/libp2p-yamux";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p, PeerId } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { tcp } from "@libp2p/tcp";
import { lpStream } from "@libp2p/utils";
import type { Multiaddr } from "@multiformats/multiaddr";
import { createLibp2p } from "libp2p";
import { generateSigningKey, SignatureAlgorithm } from "../../src/crypto/index.ts";
import {
  defaultQstpOptions,
  qstp,
  type HandshakeParams,
  type LocalIdentity,
  type QstpAllowlist,
  type QstpEncrypter,
  type QstpOptions,
} from "../../src/p2p/index.ts";

export async function createLocalIdentity(): Promise<LocalIdentity & { peerId: PeerId }> {
  const peerPrivateKey = await generateKeyPair("Ed25519");
  return { signingKey: generateSigningKey(SignatureAlgorithm.mlDsa65), peerPrivateKey, peerId: peerIdFromPrivateKey(peerPrivateKey) };
}

export function handshakeParams(
  local: LocalIdentity,
  policy: { allowlist?: QstpAllowlist | null; expectedPeerId?: PeerId } = {},
): HandshakeParams {
  return {
    local,
    policy: {
      identityAlgorithmsAccepted: defaultQstpOptions.identityAlgorithmsAccepted,
      allowlist: policy.allowlist ?? null,
      expectedPeerId: policy.expectedPeerId,
    },
  };
}

/** Resolves with the error a promise rejects with; fails if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected the promise to reject, it resolved");
}

/** A Ghostmesh-style libp2p node on 127.0.0.1 with qstp + yamux, and the encrypter instance it built. */
export type TestNode = { readonly node: Libp2p; readonly encrypter: QstpEncrypter; readonly identity: LocalIdentity & { peerId: PeerId } };

export async function createTestNode(
  opts: { qstpOptions?: Partial<QstpOptions>; allowlist?: QstpAllowlist | null; identity?: LocalIdentity & { peerId: PeerId } } = {},
): Promise<TestNode> {
  const identity = opts.identity ?? (await createLocalIdentity());
  const factory = qstp(opts.qstpOptions ?? {}, { signingKey: identity.signingKey, allowlist: opts.allowlist ?? null });
  let encrypter: QstpEncrypter | undefined;
  const node = await createLibp2p({
    privateKey: identity.peerPrivateKey,
    addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
    transports: [tcp()],
    connectionEncrypters: [(components) => (encrypter = factory(components))],
    streamMuxers: [yamux()],
  });
  assert.ok(encrypter !== undefined, "libp2p built the qstp encrypter");
  return { node, encrypter, identity };
}

/** Request/response test protocol: the server answers each length-prefixed request with its bytes reversed. */
export const REVERSE_PROTOCOL = "/ghostmesh/test/reverse/1";
export const REVERSE_MESSAGE_SIZE_BYTES_MAX = 4 * 1024 * 1024;

export async function handleReverse(node: Libp2p): Promise<void> {
  await node.handle(REVERSE_PROTOCOL, async (stream) => {
    const lp = lpStream(stream, { maxDataLength: REVERSE_MESSAGE_SIZE_BYTES_MAX });
    try {
      const request = (await lp.read()).subarray();
      await lp.write(request.slice().reverse());
      await stream.close();
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

export async function requestReverse(node: Libp2p, target: PeerId | Multiaddr, request: Uint8Array): Promise<Uint8Array> {
  const stream = await node.dialProtocol(target, REVERSE_PROTOCOL);
  const lp = lpStream(stream, { maxDataLength: REVERSE_MESSAGE_SIZE_BYTES_MAX });
  await lp.write(request);
  const response = (await lp.read()).subarray();
  await stream.close();
  return response;
}

export async function stopAll(nodes: readonly (TestNode | undefined)[]): Promise<void> {
  await Promise.all(nodes.map((n) => n?.node.stop()));
}
