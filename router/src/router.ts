import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import { pino, type Logger } from 'pino'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { createPeer, type MarketPeer } from '@agora/protocol'
import type { RouterConfig } from './config.ts'
import { createApp } from './http/app.ts'
import { OfferRegistry } from './routing/registry.ts'
import { receiveOffers, type OfferIntake } from './p2p/offers.ts'

/** A running router. */
export interface Router {
  /** Base URL of the HTTP API, e.g. `http://127.0.0.1:8080`. */
  readonly url: string
  /** Multiaddrs providers dial, each ending in `/p2p/<peer id>`. */
  readonly multiaddrs: string[]
  readonly peer: MarketPeer
  readonly registry: OfferRegistry
  readonly offers: OfferIntake
  stop(): Promise<void>
}

/**
 * Starts a router: its libp2p peer (listening for providers and their offers) and its
 * HTTP API.
 * @example
 * const router = await startRouter(RouterConfig.parse({ port: 0, apiKeys: ['sk-local-…'] }))
 */
export async function startRouter(config: RouterConfig, { log = pino({ name: 'router', level: config.logLevel }) }: { log?: Logger } = {}): Promise<Router> {
  const privateKey = config.peerPrivateKey ? privateKeyFromProtobuf(Buffer.from(config.peerPrivateKey, 'base64')) : undefined
  const peer = await createPeer({ ...(privateKey ? { privateKey } : {}), listen: config.p2pListen, announce: config.p2pAnnounce })
  const registry = new OfferRegistry()
  const offers = receiveOffers({ peer, registry, log })
  const app = createApp({ peer, registry, log, apiKeys: config.apiKeys, requestTimeoutMs: config.requestTimeoutMs })
  const server = await listen(app.fetch, config.host, config.port)
  const { port } = server.address() as AddressInfo
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`
  const multiaddrs = peer.getMultiaddrs().map((ma) => ma.toString())
  log.info({ url, peerId: peer.peerId.toString(), multiaddrs }, 'router started')

  return {
    url,
    multiaddrs,
    peer,
    registry,
    offers,
    async stop() {
      offers.stop()
      server.closeAllConnections?.()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await peer.stop()
    },
  }
}

function listen(fetch: (request: Request) => Response | Promise<Response>, hostname: string, port: number): Promise<ServerType & { closeAllConnections?: () => void }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, () => resolve(server as ServerType & { closeAllConnections?: () => void }))
    server.once('error', reject)
  })
}
