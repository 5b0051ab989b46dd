/**
 * qstp transport throughput next to its raw limits measured in the same run: handshakes/s
 * (bare, over an in-memory duplex; and a full libp2p dial over loopback TCP), encrypted
 * stream MB/s over loopback TCP (qstp + yamux), qstp's record layer sealing and opening in
 * memory, raw AES-256-GCM MB/s at the same record size, raw ML-DSA-65 sign+verify/s. Prints
 * one JSON document; progress goes to stderr.
 * Run: npm run bench:p2p
 */
import { createCipheriv, createPublicKey, createSecretKey, randomBytes, sign, verify } from "node:crypto";
import { yamux } from "@chainsafe/libp2p-yamux";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p, Stream } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { multiaddrConnectionPair } from "@libp2p/utils";
import type { Uint8ArrayList } from "uint8arraylist";
import { createLibp2p } from "libp2p";
import { generateSigningKey, SignatureAlgorithm } from "../src/crypto/index.ts";
import { defaultQstpOptions, performHandshakeInitiator, performHandshakeResponder, qstp, type HandshakeParams, type LocalIdentity } from "../src/p2p/index.ts";
import { RecordOpener, RecordSealer } from "../src/p2p/qstp/recordLayer.ts";
import { benchCommandLine } from "./lib/cli.ts";
import { perSecond, progress, startStopwatch } from "./lib/timing.ts";

const RECORD_SIZE_BYTES = defaultQstpOptions.recordSizeBytesMax;
const STREAM_BYTES = 128 * 1024 * 1024;
const AES_BYTES = 256 * 1024 * 1024;
const RECORD_LAYER_BYTES = 128 * 1024 * 1024;
const MLDSA_ITERATIONS = 200;
const BARE_HANDSHAKES = 60;
const DIAL_HANDSHAKES = 30;
const SINK_PROTOCOL = "/ghostmesh/bench/sink/1";

function megabytesPerSecond(bytes: number, elapsedMs: number): number {
  return Math.round((bytes / (1024 * 1024)) / (elapsedMs / 1000));
}

async function localIdentity(): Promise<LocalIdentity> {
  return { signingKey: generateSigningKey(SignatureAlgorithm.mlDsa65), peerPrivateKey: await generateKeyPair("Ed25519") };
}

function params(local: LocalIdentity): HandshakeParams {
  return { local, policy: { identityAlgorithmsAccepted: defaultQstpOptions.identityAlgorithmsAccepted, allowlist: null, expectedPeerId: undefined } };
}

function measureMlDsa(): { signVerifyPerSecond: number } {
  const key = generateSigningKey(SignatureAlgorithm.mlDsa65);
  const message = new Uint8Array(32).fill(7);
  // Public KeyObject imported once, as crypto/publicKeyCache does for the handshake's verify.
  const publicKey = createPublicKey(key.privateKeyObject);
  const stop = startStopwatch();
  for (let i = 0; i < MLDSA_ITERATIONS; i++) {
    const signature = sign(null, message, key.privateKeyObject);
    if (!verify(null, message, publicKey, signature)) throw new Error("ML-DSA verify failed");
  }
  return { signVerifyPerSecond: perSecond(MLDSA_ITERATIONS, stop().elapsedMs) };
}

/** One GCM context per record, as the record layer does, with the key prepared once (aeadKey). */
function measureAesGcm(): { megabytesPerSecond: number } {
  const key = createSecretKey(randomBytes(32));
  const nonce = Buffer.alloc(12);
  const record = randomBytes(RECORD_SIZE_BYTES);
  const records = AES_BYTES / RECORD_SIZE_BYTES;
  const stop = startStopwatch();
  for (let i = 0; i < records; i++) {
    nonce.writeUInt32BE(i, 8);
    const cipher = createCipheriv("aes-256-gcm", key, nonce);
    cipher.update(record);
    cipher.final();
    cipher.getAuthTag();
  }
  return { megabytesPerSecond: megabytesPerSecond(AES_BYTES, stop().elapsedMs) };
}

/** qstp's record layer alone at the same record size: what framing and the AEAD wrappers add to raw AES-GCM. */
function measureRecordLayer(): { sealMegabytesPerSecond: number; openMegabytesPerSecond: number } {
  const key = randomBytes(32);
  const sealer = new RecordSealer(key, defaultQstpOptions, { nowMs: () => 0 });
  const opener = new RecordOpener(key, defaultQstpOptions);
  const record = randomBytes(RECORD_SIZE_BYTES);
  const sealed: Uint8ArrayList[] = [];
  const sealStop = startStopwatch();
  for (let i = 0; i < RECORD_LAYER_BYTES / RECORD_SIZE_BYTES; i++) sealed.push(sealer.seal(record));
  const sealMs = sealStop().elapsedMs;
  let openedBytes = 0;
  const openStop = startStopwatch();
  for (const frames of sealed) openedBytes += opener.open(frames).byteLength;
  const openMs = openStop().elapsedMs;
  if (openedBytes !== RECORD_LAYER_BYTES) throw new Error(`bench: opened ${openedBytes} bytes of ${RECORD_LAYER_BYTES} sealed`);
  return { sealMegabytesPerSecond: megabytesPerSecond(RECORD_LAYER_BYTES, sealMs), openMegabytesPerSecond: megabytesPerSecond(RECORD_LAYER_BYTES, openMs) };
}

async function measureBareHandshakes(): Promise<{ handshakesPerSecond: number; handshakeMsMean: number }> {
  const alice = params(await localIdentity());
  const bob = params(await localIdentity());
  const stop = startStopwatch();
  for (let i = 0; i < BARE_HANDSHAKES; i++) {
    const [outbound, inbound] = multiaddrConnectionPair();
    await Promise.all([performHandshakeInitiator(outbound, alice, { timeoutMs: 10_000 }), performHandshakeResponder(inbound, bob, { timeoutMs: 10_000 })]);
    await Promise.all([outbound.close(), inbound.close()]);
  }
  const { elapsedMs } = stop();
  return { handshakesPerSecond: perSecond(BARE_HANDSHAKES, elapsedMs), handshakeMsMean: Math.round((elapsedMs / BARE_HANDSHAKES) * 100) / 100 };
}

async function createNode(): Promise<Libp2p> {
  const identity = await localIdentity();
  return createLibp2p({
    privateKey: identity.peerPrivateKey,
    addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
    transports: [tcp()],
    connectionEncrypters: [qstp({}, { signingKey: identity.signingKey })],
    streamMuxers: [yamux()],
    // The default admits 5 inbound connections per second per host; the dial loop needs more.
    connectionManager: { inboundConnectionThreshold: 1_000_000 },
  });
}

async function measureDials(client: Libp2p, server: Libp2p): Promise<{ dialsPerSecond: number; dialMsMean: number }> {
  const target = server.getMultiaddrs()[0];
  if (target === undefined) throw new Error("server does not listen");
  const stop = startStopwatch();
  for (let i = 0; i < DIAL_HANDSHAKES; i++) {
    const connection = await client.dial(target);
    await connection.close();
  }
  const { elapsedMs } = stop();
  return { dialsPerSecond: perSecond(DIAL_HANDSHAKES, elapsedMs), dialMsMean: Math.round((elapsedMs / DIAL_HANDSHAKES) * 100) / 100 };
}

/** The sink counts bytes until the writer half-closes, then answers with the count. */
async function handleSink(server: Libp2p): Promise<void> {
  await server.handle(SINK_PROTOCOL, async (stream: Stream) => {
    let received = 0;
    for await (const chunk of stream) received += chunk.byteLength;
    const answer = new Uint8Array(8);
    new DataView(answer.buffer).setFloat64(0, received);
    stream.send(answer);
    await stream.close();
  });
}

async function measureStream(client: Libp2p, server: Libp2p): Promise<{ megabytesPerSecond: number; bytes: number }> {
  const target = server.getMultiaddrs()[0];
  if (target === undefined) throw new Error("server does not listen");
  const stream = await client.dialProtocol(target, SINK_PROTOCOL);
  const chunk = randomBytes(RECORD_SIZE_BYTES);
  const stop = startStopwatch();
  for (let sent = 0; sent < STREAM_BYTES; sent += chunk.byteLength) {
    if (!stream.send(chunk)) await stream.onDrain();
  }
  await stream.close();
  let answer = new Uint8Array(0);
  for await (const part of stream) answer = new Uint8Array([...answer, ...part.subarray()]);
  const { elapsedMs } = stop();
  const received = new DataView(answer.buffer).getFloat64(0);
  if (received !== STREAM_BYTES) throw new Error(`sink received ${received} bytes, ${STREAM_BYTES} sent`);
  return { megabytesPerSecond: megabytesPerSecond(STREAM_BYTES, elapsedMs), bytes: STREAM_BYTES };
}

const HELP = `Usage: npm run bench:p2p

qstp transport throughput beside its raw limits measured in the same run: handshakes per second
(in memory, and full libp2p dials over loopback TCP), encrypted stream MB/s over loopback TCP,
the record layer in memory, raw AES-256-GCM and raw ML-DSA-65 sign+verify. Prints one JSON
document on stdout; progress on stderr.

  -h, --help   this help
`;

async function main(): Promise<void> {
  benchCommandLine({ name: "bench/p2p-transport.ts", help: HELP, options: {} }, () => undefined);
  progress("raw ML-DSA-65 sign+verify");
  const mlDsa = measureMlDsa();
  progress("raw AES-256-GCM");
  const aes = measureAesGcm();
  progress("qstp record layer in memory");
  const recordLayer = measureRecordLayer();
  progress("bare qstp handshakes over an in-memory duplex");
  const bare = await measureBareHandshakes();
  const client = await createNode();
  const server = await createNode();
  try {
    await handleSink(server);
    progress("full libp2p dials over loopback TCP");
    const dials = await measureDials(client, server);
    progress("encrypted stream over loopback TCP");
    const stream = await measureStream(client, server);
    const result = {
      bench: "p2p-transport",
      node: process.version,
      recordSizeBytes: RECORD_SIZE_BYTES,
      handshake: { bareInMemory: bare, libp2pDialLoopback: dials },
      stream: { qstpYamuxLoopback: stream },
      recordLayer,
      raw: { aes256GcmMegabytesPerSecond: aes.megabytesPerSecond, mlDsa65SignVerifyPerSecond: mlDsa.signVerifyPerSecond },
      ratios: {
        streamToRawAes: Math.round((stream.megabytesPerSecond / aes.megabytesPerSecond) * 1000) / 1000,
        recordSealToRawAes: Math.round((recordLayer.sealMegabytesPerSecond / aes.megabytesPerSecond) * 1000) / 1000,
        bareHandshakesToSignVerify: Math.round((bare.handshakesPerSecond / mlDsa.signVerifyPerSecond) * 1000) / 1000,
      },
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await Promise.all([client.stop(), server.stop()]);
  }
}

await main();
