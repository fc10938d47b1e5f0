import { pino, type Logger } from 'pino'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { MAX_OFFER_MODELS, OFFERS_TOPIC, createPeer, keepConnected, signPeerBinding, type MarketPeer, type Offer } from '@agora/protocol'
import type { Address } from 'viem'
import type { ProviderConfig } from './config.ts'
import { Catalog } from './catalog.ts'
import { createEngine, type Engine } from './engines/index.ts'
import { createAnnouncer } from './p2p/announce.ts'
import { serveInference } from './p2p/serve.ts'
import { createReceiptSigner } from './receipts/index.ts'
import { createStats, type ProviderStats } from './stats.ts'

/** A running provider node. */
export interface ProviderNode {
  readonly peerId: string
  readonly payout: Address
  readonly peer: MarketPeer
  readonly stats: ProviderStats
  /** The offer most recently published. */
  currentOffer(): Offer | undefined
  /** Re-reads the engine's models now (also done on an interval). */
  refreshModels(): Promise<void>
  stop(): Promise<void>
}

export interface StartProviderNodeOptions {
  log?: Logger
  /** Use this engine instead of building one from `config.engine` (tests, embedding). */
  engine?: Engine
}

/**
 * Starts a provider node: its engine, its libp2p peer (connected to the configured
 * routers), the inference handler and the offer announcer.
 * @example
 * const node = await startProviderNode(ProviderConfig.parse({ bootstrap: [routerAddr], engine: { kind: 'dev' }, models: [{ id: 'dev-model' }] }))
 */
export async function startProviderNode(config: ProviderConfig, options: StartProviderNodeOptions = {}): Promise<ProviderNode> {
  const log = options.log ?? pino({ name: 'provider-node', level: config.logLevel })
  const engine = options.engine ?? (await createEngine(config, log))
  const account = privateKeyToAccount(config.payoutPrivateKey ?? generatePrivateKey())
  const privateKey = config.peerPrivateKey ? privateKeyFromProtobuf(Buffer.from(config.peerPrivateKey, 'base64')) : undefined
  const peer = await createPeer({ ...(privateKey ? { privateKey } : {}), listen: config.listen, announce: config.announce })
  const peerId = peer.peerId.toString()
  const binding = await signPeerBinding({ account, peerId })
  const receipts = createReceiptSigner({ account, peerId })
  const stats = createStats()
  const catalog = new Catalog(config)

  const refreshModels = async (): Promise<void> => {
    let changed: boolean
    try {
      changed = catalog.update(await engine.models(AbortSignal.timeout(10_000)))
      if (catalog.dropped) log.warn({ dropped: catalog.dropped, max: MAX_OFFER_MODELS }, 'the engine reports more models than one offer may list: list the ones to publish under `models`')
    } catch (error) {
      log.warn({ err: error }, 'engine unhealthy: withdrawing its models')
      changed = catalog.update([])
    }
    if (changed) announcer.changed()
  }

  const announcer = createAnnouncer({
    peer,
    intervalMs: config.announceIntervalMs,
    ttlMs: config.offerTtlMs,
    log,
    offer: () => ({ v: 1, peerId, name: config.name, payout: account.address, binding, models: catalog.toOffer() }),
  })
  const unhandle = await serveInference({ peer, engine, catalog, stats, log, receipts, onLoadChange: () => announcer.changed() })
  peer.services.pubsub.subscribe(OFFERS_TOPIC)
  await refreshModels()
  const refresher = setInterval(() => void refreshModels(), config.modelRefreshMs)
  await keepConnected(peer, config.bootstrap)
  await announcer.announce()
  log.info({ peerId, payout: account.address, models: catalog.toOffer().map((m) => m.id) }, 'provider node started')

  return {
    peerId,
    payout: account.address,
    peer,
    stats,
    currentOffer: () => announcer.last,
    refreshModels,
    async stop() {
      clearInterval(refresher)
      announcer.stop()
      await unhandle()
      await peer.stop()
      await engine.close?.()
    },
  }
}
