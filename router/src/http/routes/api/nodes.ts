import { Hono } from 'hono'
import { usdPerToken } from '@agora/protocol'
import type { Database } from '../../../db/index.ts'
import { servedByPeers } from '../../../db/queries/usage.ts'
import type { RoutingContext } from '../../../routing/plan.ts'
import { ENDPOINT_STATUS } from '../v1/models.ts'

/**
 * `GET /api/accounts/{address}/nodes`: the live provider nodes whose signed offers name the
 * account's address as their payout address, with what they offer, what the router measured
 * of them and what they have served. Mount behind `managementAuth` and `accountScope`.
 */
export function nodeRoutes({ db, routing }: { db: Database; routing: RoutingContext }): Hono {
  return new Hono().get('/accounts/:address/nodes', async (c) => {
    const { account } = c.var
    const now = routing.now()
    const offers = routing.registry.offers(now).filter((offer) => offer.payout.toLowerCase() === account.address)
    const served = new Map((await servedByPeers(db, offers.map((offer) => offer.peerId))).map((row) => [row.providerPeerId, row]))
    return c.json({
      data: offers.map((offer) => {
        const totals = served.get(offer.peerId)
        return {
          peer_id: offer.peerId,
          name: offer.name,
          online: routing.reachable?.(offer.peerId) ?? true,
          offer_expires_at: new Date(offer.expiresAt).toISOString(),
          models: offer.models.map((model) => {
            const stats = routing.measurements.snapshot(offer.peerId, model.id)
            return {
              id: model.id,
              context_length: model.contextLength,
              quantization: model.quantization ?? null,
              pricing: { prompt: usdPerToken(model.pricing.inputPerMTok), completion: usdPerToken(model.pricing.outputPerMTok) },
              max_concurrency: model.maxConcurrency,
              status: ENDPOINT_STATUS[routing.cooldown.state(offer.peerId, model.id)],
              latency_ms: stats.ttftMs ?? null,
              throughput_tps: stats.tokensPerSecond ?? null,
            }
          }),
          served: {
            requests: totals?.requests ?? 0,
            prompt_tokens: totals?.promptTokens ?? 0,
            completion_tokens: totals?.completionTokens ?? 0,
            charged_micro_usd: (totals?.charged ?? 0n).toString(),
          },
        }
      }),
    })
  })
}
