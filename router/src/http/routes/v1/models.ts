import { Hono } from 'hono'
import { ModelNotFoundError, usdPerToken, type ModelEndpoints, type ModelList } from '@agora/protocol'
import type { RelayContext } from '../../relay.ts'

/** The cooldown state of a provider's model as the endpoints list names it. */
export const ENDPOINT_STATUS = { closed: 'available', open: 'cooling_down', 'half-open': 'probing' } as const

/**
 * `GET /v1/models` (the union of live offers), `GET /v1/models/{model}` and
 * `GET /v1/models/{author}/{slug}/endpoints` (each provider of a model with its price and what the
 * router measured of it).
 */
export function modelRoutes({ routing }: Pick<RelayContext, 'routing'>): Hono {
  const catalog = () => routing.registry.catalog(routing.now(), routing.reachable)
  return new Hono()
    .get('/models', (c) => c.json({ object: 'list', data: catalog() } satisfies ModelList))
    .get('/models/:author/:slug/endpoints', (c) => {
      const id = `${c.req.param('author')}/${c.req.param('slug')}`
      const candidates = routing.registry.candidates(id, routing.now(), routing.reachable)
      if (!candidates.length) throw new ModelNotFoundError(id)
      const endpoints = candidates.map(({ offer, model }) => {
        const stats = routing.measurements.snapshot(offer.peerId, id)
        return {
          provider: offer.name,
          peer_id: offer.peerId,
          context_length: model.contextLength,
          quantization: model.quantization ?? null,
          pricing: { prompt: usdPerToken(model.pricing.inputPerMTok), completion: usdPerToken(model.pricing.outputPerMTok) },
          max_concurrency: model.maxConcurrency,
          status: ENDPOINT_STATUS[routing.cooldown.state(offer.peerId, id)],
          latency_ms: stats.ttftMs ?? null,
          throughput_tps: stats.tokensPerSecond ?? null,
          rtt_ms: stats.rttMs ?? null,
          uptime_last_hour: stats.uptime ?? null,
          in_flight: stats.inFlight,
        }
      })
      return c.json({ data: { id, endpoints } } satisfies ModelEndpoints)
    })
    .get('/models/:model{.+}', (c) => {
      const id = c.req.param('model')
      const model = catalog().find((m) => m.id === id)
      if (!model) throw new ModelNotFoundError(id)
      return c.json(model)
    })
}
