import type { PeerId } from '@libp2p/interface'
import type { Logger } from 'pino'
import { parsePeerAddress, type MarketPeer } from '@agora/protocol'

/** One dial's limit: a router that does not answer (a dropped SYN) must not hold up the node's start. */
const DIAL_TIMEOUT_MS = 10_000

/** Peer tag that keeps router connections out of libp2p's pruning (not KEEP_ALIVE: redials are ours). */
const ROUTER_TAG = 'agora-router'

export interface RouterLinksParameters {
  peer: MarketPeer
  /** Router multiaddrs, each ending in `/p2p/<peer id>`. */
  addresses: string[]
  /** First redial after this long, doubling on each failure up to `maxDelayMs` (each delay jittered down by up to half). */
  minDelayMs: number
  maxDelayMs: number
  log: Logger
}

/** One router as `provider-node status` shows it. */
export interface RouterLinkStatus {
  address: string
  peerId: string
  connected: boolean
  /** When the current connection opened, or when the link was lost (epoch ms). */
  since: number
  /** Failed dials since the link was last up. */
  failures: number
  lastError?: string
  /** When the next dial goes out, while disconnected (epoch ms). */
  nextDialAt?: number
}

export interface RouterLinks {
  status(): RouterLinkStatus[]
  /** Routers connected now. */
  connected(): number
  /** Stops redialing and closes the connections to the routers. */
  close(): Promise<void>
}

interface Link {
  address: string
  multiaddr: ReturnType<typeof parsePeerAddress>['multiaddr']
  peerId: PeerId
  connected: boolean
  since: number
  failures: number
  lastError?: string
  nextDialAt?: number
  timer?: NodeJS.Timeout
  dialing: boolean
}

/**
 * Keeps the node connected to its routers: dials each at start and redials, with capped
 * exponential backoff, whenever the connection drops or a dial fails — a router that was
 * not up yet when the node started included. Routers never dial providers: they open
 * inference streams over these connections, which is what lets a node sit behind NAT.
 *
 * libp2p's own redial of KEEP_ALIVE peers is not used: it never retries a peer whose first
 * dial failed, and its backoff has no ceiling (after a day-long outage it would wait hours).
 * Resolves once every router has been dialed once.
 */
export async function linkRouters({ peer, addresses, minDelayMs, maxDelayMs, log }: RouterLinksParameters): Promise<RouterLinks> {
  const links = new Map<string, Link>()
  for (const address of addresses) {
    const { multiaddr, peerId } = parsePeerAddress(address)
    links.set(peerId.toString(), { address, multiaddr, peerId, connected: false, since: Date.now(), failures: 0, dialing: false })
  }
  let closed = false

  const schedule = (link: Link, delayMs: number) => {
    clearTimeout(link.timer)
    link.nextDialAt = Date.now() + delayMs
    link.timer = setTimeout(() => void dial(link), delayMs)
  }
  const backoff = (failures: number) => {
    const ceiling = Math.min(maxDelayMs, minDelayMs * 2 ** Math.min(failures - 1, 30))
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2)
  }

  async function dial(link: Link): Promise<void> {
    if (closed || link.connected || link.dialing) return
    link.dialing = true
    link.nextDialAt = undefined
    try {
      await peer.dial(link.multiaddr, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
      onConnect(new CustomEvent('peer:connect', { detail: link.peerId }))
    } catch (error) {
      link.failures++
      link.lastError = error instanceof Error ? error.message : String(error)
      if (closed) return
      const delay = backoff(link.failures)
      log.warn({ router: link.address, failures: link.failures, retryInMs: delay, err: link.lastError }, 'router unreachable')
      schedule(link, delay)
    } finally {
      link.dialing = false
    }
  }

  const onConnect = (event: CustomEvent<PeerId>) => {
    const link = links.get(event.detail.toString())
    if (!link || link.connected) return
    clearTimeout(link.timer)
    Object.assign(link, { connected: true, since: Date.now(), failures: 0, nextDialAt: undefined })
    log.info({ router: link.address }, 'connected to router')
  }
  const onDisconnect = (event: CustomEvent<PeerId>) => {
    const link = links.get(event.detail.toString())
    if (!link || !link.connected) return
    Object.assign(link, { connected: false, since: Date.now() })
    if (closed) return
    log.warn({ router: link.address }, 'lost the router; redialing')
    schedule(link, backoff(1))
  }
  peer.addEventListener('peer:connect', onConnect)
  peer.addEventListener('peer:disconnect', onDisconnect)

  await Promise.all(
    [...links.values()].map(async (link) => {
      await peer.peerStore.merge(link.peerId, { multiaddrs: [link.multiaddr], tags: { [ROUTER_TAG]: { value: 100 } } })
      if (peer.getConnections(link.peerId).length > 0) onConnect(new CustomEvent('peer:connect', { detail: link.peerId }))
      else await dial(link)
    }),
  )

  return {
    status: () =>
      [...links.values()].map(({ address, peerId, connected, since, failures, lastError, nextDialAt }) => ({
        address,
        peerId: peerId.toString(),
        connected,
        since,
        failures,
        ...(lastError !== undefined && !connected ? { lastError } : {}),
        ...(nextDialAt !== undefined && !connected ? { nextDialAt } : {}),
      })),
    connected: () => [...links.values()].filter((link) => link.connected).length,
    async close() {
      closed = true
      peer.removeEventListener('peer:connect', onConnect)
      peer.removeEventListener('peer:disconnect', onDisconnect)
      for (const link of links.values()) clearTimeout(link.timer)
      await Promise.all([...links.values()].map((link) => peer.hangUp(link.peerId).catch(() => {})))
    },
  }
}
