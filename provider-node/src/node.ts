import { setTimeout as sleep } from 'node:timers/promises'
import { pino, type Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { Address } from 'viem'
import { MAX_OFFER_MODELS, OFFERS_TOPIC, createPeer, signPeerBinding, type MarketPeer, type Offer } from '@agora/protocol'
import type { ProviderConfig } from './config.ts'
import { Catalog } from './catalog.ts'
import { createEngine, type Engine } from './engines/index.ts'
import { ephemeralIdentity, type NodeIdentity } from './identity.ts'
import { ProviderMetrics } from './metrics.ts'
import { claimSocket, startOpsServer, type NodeHealth } from './ops/server.ts'
import type { NodeStatus } from './ops/status.ts'
import { createAnnouncer, type Announcer } from './p2p/announce.ts'
import { linkRouters } from './p2p/routers.ts'
import { serveInference } from './p2p/serve.ts'
import { createReceiptSigner } from './receipts/index.ts'
import type { ProviderStats } from './stats.ts'

/** A running provider node. */
export interface ProviderNode {
  readonly peerId: string
  readonly payout: Address
  readonly peer: MarketPeer
  readonly stats: ProviderStats
  /** The Prometheus registry behind `/metrics`. */
  readonly metrics: Registry
  /** The ops API's TCP port, when `ops.port` is set. */
  readonly opsPort: number | undefined
  /** The offer most recently published. */
  currentOffer(): Offer | undefined
  /** What `provider-node status` shows. */
  status(): NodeStatus
  health(): NodeHealth
  /** Re-reads the engine's models now (also done on an interval). */
  refreshModels(): Promise<void>
  /**
   * Shuts down gently: publishes an offer with no models, answers queued and new requests
   * busy (routers try elsewhere), lets running requests finish for up to `timeoutMs`
   * (default `drainTimeoutMs`), then stops.
   */
  drain(timeoutMs?: number): Promise<void>
  /** Stops now: requests still running are cut. */
  stop(): Promise<void>
}

export interface StartProviderNodeOptions {
  log?: Logger
  /** Use this engine instead of building one from `config.engine` (tests, embedding). */
  engine?: Engine
  /** The node's keys (`loadIdentity(dataDir)`); a throwaway identity when absent. */
  identity?: NodeIdentity
  /** Serve the ops API on this Unix socket too (the data dir's `ops.sock`), for `provider-node status`. */
  opsSocketPath?: string
}

/**
 * Starts a provider node: its engine, its libp2p peer (connected to the configured
 * routers), the inference handler, the offer announcer and the ops API.
 * @example
 * const node = await startProviderNode(loadProviderConfig({ bootstrap: [routerAddr], engine: { kind: 'dev' }, models: [{ id: 'dev-model' }] }))
 */
export async function startProviderNode(config: ProviderConfig, options: StartProviderNodeOptions = {}): Promise<ProviderNode> {
  const log = options.log ?? pino({ name: 'provider-node', level: config.logLevel })
  // Before anything goes on the network: a second node with the same identity would fight the first for its routers.
  if (options.opsSocketPath) await claimSocket(options.opsSocketPath)
  const engine = options.engine ?? (await createEngine(config, log))
  const identity = options.identity ?? (await ephemeralIdentity())
  const payout = identity.payout.kind === 'key' ? identity.payout.account.address : identity.payout.address
  const peer = await createPeer({ privateKey: identity.peerKey, listen: config.listen, announce: config.announce })
  const peerId = peer.peerId.toString()
  const binding = identity.payout.kind === 'key' ? await signPeerBinding({ account: identity.payout.account, peerId }) : identity.payout.binding
  // Receipts are signed with the payout key, as the binding is: a node whose key stays in an outside wallet signs none.
  const receipts = identity.payout.kind === 'key' ? createReceiptSigner({ privateKey: identity.payout.privateKey, peerId }) : undefined
  if (!receipts) log.warn({ payout }, 'the payout key is not on this node: requests are served without signed receipts')
  const startedAt = Date.now()
  let state: NodeStatus['state'] = 'running'

  let announcer: Announcer | undefined
  const catalog = new Catalog(config, () => announcer?.changed())
  let connectedRouters = () => 0
  const metrics = new ProviderMetrics({ engine: engine.kind, catalog, routerConnections: () => connectedRouters(), processMetrics: config.ops.port !== null })

  const refreshModels = async (): Promise<void> => {
    let changed: boolean
    try {
      changed = catalog.update(await engine.models(AbortSignal.timeout(10_000)))
      if (catalog.dropped) log.warn({ dropped: catalog.dropped, max: MAX_OFFER_MODELS }, 'the engine reports more models than one offer may list: list the ones to publish under `models`')
    } catch (error) {
      log.warn({ err: error }, 'engine unhealthy: withdrawing its models')
      changed = catalog.update([])
    }
    if (changed) announcer?.changed()
  }

  announcer = createAnnouncer({
    peer,
    intervalMs: config.announceIntervalMs,
    ttlMs: config.offerTtlMs,
    log,
    offer: () => ({ v: 1, peerId, name: config.name, payout, binding, models: catalog.toOffer() }),
  })
  const unhandle = await serveInference({ peer, engine, catalog, metrics, log, receipts, logContent: config.logContent })
  peer.services.pubsub.subscribe(OFFERS_TOPIC)
  await refreshModels()
  const refresher = setInterval(() => void refreshModels(), config.modelRefreshMs)
  const routers = await linkRouters({ peer, addresses: config.bootstrap, ...config.reconnect, log })
  connectedRouters = routers.connected
  await announcer.announce()

  const status = (): NodeStatus => {
    const offer = announcer?.last
    const { requests, succeeded, failed, aborted, busy, promptTokens, completionTokens } = metrics.stats
    return {
      name: config.name,
      peerId,
      engine: engine.kind,
      payout: { address: payout, kind: identity.payout.kind },
      state,
      pid: process.pid,
      startedAt,
      listen: peer.getMultiaddrs().map(String),
      routers: routers.status(),
      offer: offer
        ? {
            seq: offer.seq,
            expiresAt: offer.expiresAt,
            models: offer.models.map((m) => ({ ...m, pricing: { inputPerMTok: m.pricing.inputPerMTok.toString(), outputPerMTok: m.pricing.outputPerMTok.toString() } })),
          }
        : null,
      capacity: catalog.list().map((m) => ({ model: m.id, running: m.capacity.running, queued: m.capacity.waiting, maxConcurrency: m.capacity.limits.maxConcurrency, maxQueue: m.capacity.limits.maxQueue })),
      requests: { total: requests, succeeded, failed, aborted, busy },
      tokens: { prompt: promptTokens, completion: completionTokens },
      earnings: null,
    }
  }
  const health = (): NodeHealth => {
    const problems = [
      ...(state === 'draining' ? ['draining'] : []),
      ...(routers.connected() === 0 ? ['no router connected'] : []),
      ...(catalog.list().length === 0 ? ['no model to offer: is the engine up?'] : []),
    ]
    return { ok: problems.length === 0, problems }
  }

  let ops: Awaited<ReturnType<typeof startOpsServer>>
  try {
    ops = await startOpsServer({ ...(options.opsSocketPath ? { socketPath: options.opsSocketPath } : {}), ...config.ops, status, health, registry: metrics.registry, log })
  } catch (error) {
    clearInterval(refresher)
    announcer.stop()
    await routers.close()
    await peer.stop()
    await engine.close?.()
    throw error
  }
  log.info({ peerId, payout, models: catalog.toOffer().map((m) => m.id), routers: routers.connected() }, 'provider node started')

  let stopping: Promise<void> | undefined
  let draining: Promise<void> | undefined
  const stop = () => {
    stopping ??= (async () => {
      clearInterval(refresher)
      announcer?.stop()
      await unhandle()
      await routers.close()
      await peer.stop()
      await ops.close()
      await engine.close?.()
    })()
    return stopping
  }

  return {
    peerId,
    payout,
    peer,
    stats: metrics.stats,
    metrics: metrics.registry,
    opsPort: ops.port,
    currentOffer: () => announcer?.last,
    status,
    health,
    refreshModels,
    drain(timeoutMs = config.drainTimeoutMs) {
      draining ??= (async () => {
        state = 'draining'
        clearInterval(refresher)
        catalog.drain()
        await announcer?.announce()
        log.info({ running: catalog.active, timeoutMs }, 'draining: offering no capacity, finishing the requests in flight')
        const deadline = Date.now() + timeoutMs
        while (catalog.active > 0 && Date.now() < deadline && !stopping) await sleep(100)
        if (catalog.active > 0) log.warn({ cut: catalog.active }, 'drain ended: cutting the requests still running')
        else log.info('drained')
        await stop()
      })()
      return draining
    },
    stop,
  }
}
