import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify, type Identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { KEEP_ALIVE, type PeerId, type PrivateKey } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { MAX_OFFER_BYTES } from './constants.ts'
import { corkedWrites, quietLogger } from './tuning.ts'

/** The services every marketplace peer runs. */
export type PeerServices = {
  identify: Identify
  ping: Ping
  pubsub: GossipSub
}

export type MarketPeer = Libp2p<PeerServices>

export interface CreatePeerParameters {
  privateKey?: PrivateKey
  /** Multiaddrs to listen on, e.g. `/ip4/127.0.0.1/tcp/0`. */
  listen: string[]
  /** Multiaddrs to announce instead of the listen addresses (behind NAT or a proxy). */
  announce?: string[]
}

/**
 * Creates and starts a libp2p node with the marketplace's stack: TCP, noise, yamux,
 * identify, ping and gossipsub (strictly signed messages, so every offer is signed by its
 * sender's peer key).
 * @example
 * const peer = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'] })
 */
export async function createPeer({ privateKey, listen, announce }: CreatePeerParameters): Promise<MarketPeer> {
  return createLibp2p({
    ...(privateKey ? { privateKey } : {}),
    addresses: { listen, ...(announce?.length ? { announce } : {}) },
    logger: quietLogger(),
    transports: [tcp()],
    connectionEncrypters: [corkedWrites(noise())],
    streamMuxers: [yamux()],
    connectionManager: { reconnectRetries: 1_000_000, reconnectRetryInterval: 1_000, reconnectBackoffFactor: 1.5 },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictSign',
        allowPublishToZeroTopicPeers: true,
        floodPublish: true,
        maxInboundDataLength: MAX_OFFER_BYTES,
      }),
    },
  })
}

/**
 * A peer's full address (`…/p2p/<peer id>`) as a multiaddr and the peer id it names.
 * Throws a `TypeError` that says what is wrong with it.
 * @example
 * parsePeerAddress('/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…').peerId.toString() // '12D3KooW…'
 */
export function parsePeerAddress(address: string): { multiaddr: Multiaddr; peerId: PeerId } {
  let ma: Multiaddr
  try {
    ma = multiaddr(address)
  } catch (cause) {
    throw new TypeError(`${address} is not a multiaddr`, { cause })
  }
  const id = ma.getComponents().findLast((component) => component.name === 'p2p')?.value
  if (!id) throw new TypeError(`${address} must end in /p2p/<peer id>`)
  try {
    return { multiaddr: ma, peerId: peerIdFromString(id) }
  } catch (cause) {
    throw new TypeError(`${address} names an invalid peer id`, { cause })
  }
}

/**
 * Dials `addresses` (each must end in `/p2p/<peer id>`) and tags them keep-alive, so the
 * connection manager redials them with backoff whenever the connection drops.
 */
export async function keepConnected(peer: MarketPeer, addresses: string[]): Promise<void> {
  await Promise.all(
    addresses.map(async (address) => {
      const { multiaddr: ma, peerId } = parsePeerAddress(address)
      await peer.peerStore.merge(peerId, { multiaddrs: [ma], tags: { [KEEP_ALIVE]: { value: 1 } } })
      await peer.dial(ma).catch(() => {
        // Only a connection that was up and dropped is redialed; a peer that was never reached is not.
      })
    }),
  )
}
