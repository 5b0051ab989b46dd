/**
 * Runs @chainsafe/libp2p-gossipsub 14 (written for libp2p 2) on libp2p 3.
 *
 * libp2p 3 changed three things gossipsub 14 relies on: streams are event-based
 * MessageStreams instead of {source, sink} duplexes, stream handlers receive
 * `(stream, connection)` instead of `{stream, connection}`, and multiaddr 13 dropped
 * `tuples()` (gossipsub reads the peer's IP from it for the IP-colocation score, which we
 * disable). This file adapts only those seams, at the registrar gossipsub is given;
 * everything else (peer store, connection manager, keys, logger) is passed through.
 *
 * TO REMOVE: when the project moves to a gossipsub built for libp2p 3 (`@libp2p/gossipsub`,
 * maintained in the js-libp2p monorepo, same options and API), delete this file and build
 * the service with that package's `gossipsub(init)` directly (see docs/decisions/0501).
 */
import { GossipSub, type GossipSubComponents, type GossipsubOpts } from "@chainsafe/libp2p-gossipsub";
import type { AbortOptions, Connection, PeerId, Stream, StreamHandlerOptions, Topology } from "@libp2p/interface";
import { messageStreamToDuplex } from "@libp2p/utils";

/** The libp2p 3 registrar methods gossipsub calls. */
type Registrar3 = {
  handle(protocol: string, handler: (stream: Stream, connection: Connection) => void | Promise<void>, options?: StreamHandlerOptions): Promise<void>;
  unhandle(protocol: string, options?: AbortOptions): Promise<void>;
  register(protocol: string, topology: Topology): Promise<string>;
  unregister(id: string): void;
  getTopologies(protocol: string): Topology[];
};

/** What libp2p 3 hands a service factory, as far as gossipsub uses it. */
export type GossipsubComponents3 = Omit<GossipSubComponents, "registrar"> & { readonly registrar: Registrar3 };

/** The libp2p 2 shapes gossipsub 14 expects. */
type Duplex2 = ReturnType<typeof messageStreamToDuplex> & {
  readonly protocol: string;
  close(options?: AbortOptions): Promise<void>;
  abort(err: Error): void;
};
type Connection2 = {
  readonly remotePeer: PeerId;
  readonly direction: Connection["direction"];
  readonly status: Connection["status"];
  readonly remoteAddr: { tuples(): []; toString(): string };
  newStream(protocols: string | string[], options?: AbortOptions): Promise<Duplex2>;
};
type Topology2 = {
  onConnect?(peerId: PeerId, connection: Connection2): void | Promise<void>;
  onDisconnect?(peerId: PeerId): void | Promise<void>;
  notifyOnLimitedConnection?: boolean;
};
type Handler2 = (data: { stream: Duplex2; connection: Connection2 }) => void | Promise<void>;

function adaptStream(stream: Stream): Duplex2 {
  // Subscribes to the stream's events at once, so no message is emitted before anyone listens.
  const duplex = messageStreamToDuplex(stream);
  return {
    source: duplex.source,
    sink: duplex.sink,
    get protocol() {
      return stream.protocol;
    },
    close: (options) => stream.close(options),
    abort: (err) => stream.abort(err),
  };
}

function adaptConnection(connection: Connection): Connection2 {
  return {
    remotePeer: connection.remotePeer,
    direction: connection.direction,
    get status() {
      return connection.status;
    },
    // No IP tuples: gossipsub then skips IP colocation tracking, which our score params disable.
    remoteAddr: { tuples: () => [], toString: () => connection.remoteAddr.toString() },
    newStream: async (protocols, options) => adaptStream(await connection.newStream(protocols, options)),
  };
}

function adaptRegistrar(registrar: Registrar3) {
  const adaptTopology = (topology: Topology2): Topology => ({
    notifyOnLimitedConnection: topology.notifyOnLimitedConnection,
    onConnect: (peerId, connection) => topology.onConnect?.(peerId, adaptConnection(connection)),
    onDisconnect: (peerId) => topology.onDisconnect?.(peerId),
  });
  return {
    handle: (protocol: string, handler: Handler2, options?: StreamHandlerOptions) =>
      registrar.handle(protocol, (stream, connection) => handler({ stream: adaptStream(stream), connection: adaptConnection(connection) }), options),
    unhandle: (protocol: string, options?: AbortOptions) => registrar.unhandle(protocol, options),
    register: (protocol: string, topology: Topology2) => registrar.register(protocol, adaptTopology(topology)),
    unregister: (id: string) => registrar.unregister(id),
    getTopologies: (protocol: string) => registrar.getTopologies(protocol),
  };
}

/** A libp2p 3 service factory for gossipsub 14. */
export function gossipsubService(init: Partial<GossipsubOpts>): (components: GossipsubComponents3) => GossipSub {
  return (components) => {
    const adapted = {
      peerId: components.peerId,
      privateKey: components.privateKey,
      peerStore: components.peerStore,
      connectionManager: components.connectionManager,
      logger: components.logger,
      registrar: adaptRegistrar(components.registrar),
    };
    // The one unchecked step: gossipsub's declared types are libp2p 2's; the shapes above are
    // what its code calls at run time (test/p2p/host*.test.ts exercise every path).
    return new GossipSub(adapted as unknown as GossipSubComponents, init);
  };
}
