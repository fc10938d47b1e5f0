import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { Logger } from 'pino'
import { LRUCache } from 'lru-cache'
import { OFFERS_TOPIC, decodeOffer, type MarketPeer, type OfferRejection } from '@agora/protocol'
import type { OfferRegistry } from '../routing/registry.ts'

export interface OfferIntake {
  /** Offers dropped, by reason, since start. */
  readonly rejected: Record<OfferRejection | 'stale' | 'unsigned', number>
  /** Offers rejected per sending peer (the most recent 10,000 peers): who sends bad offers. */
  rejectionsOf(peerId: string): number
  stop(): void
}

/**
 * Listens for offers on the offers topic. Validation runs as gossipsub message
 * validation, so an invalid offer is neither registered nor forwarded to other peers.
 * Rejections are counted by reason and against the sending peer; gossipsub peer scoring
 * (which would graylist such peers) is not configured yet.
 */
export function receiveOffers({ peer, registry, log }: { peer: MarketPeer; registry: OfferRegistry; log: Logger }): OfferIntake {
  const rejected: OfferIntake['rejected'] = {
    malformed: 0,
    'peer-mismatch': 0,
    expired: 0,
    'ttl-too-long': 0,
    'bad-binding': 0,
    stale: 0,
    unsigned: 0,
  }
  const knownBindings = new Set<string>()
  const byPeer = new LRUCache<string, number>({ max: 10_000 })
  const countAgainst = (peerId: string) => byPeer.set(peerId, (byPeer.get(peerId) ?? 0) + 1)
  const pubsub = peer.services.pubsub
  pubsub.topicValidators.set(OFFERS_TOPIC, async (relayer, message) => {
    if (message.type !== 'signed') {
      rejected.unsigned++
      countAgainst(relayer.toString())
      return TopicValidatorResult.Reject
    }
    const result = await decodeOffer(message.data, message.from.toString(), Date.now(), knownBindings)
    if (!result.ok) {
      rejected[result.reason]++
      countAgainst(message.from.toString())
      log.debug({ from: message.from.toString(), relayer: relayer.toString(), reason: result.reason, details: result.details }, 'offer rejected')
      return result.reason === 'expired' ? TopicValidatorResult.Ignore : TopicValidatorResult.Reject
    }
    if (registry.accept(result.offer) === 'stale') {
      rejected.stale++
      return TopicValidatorResult.Ignore
    }
    return TopicValidatorResult.Accept
  })
  pubsub.subscribe(OFFERS_TOPIC)
  const sweeper = setInterval(() => {
    for (const peerId of registry.evictExpired()) log.info({ peerId }, 'offer expired')
  }, 1_000)

  return {
    rejected,
    rejectionsOf: (peerId) => byPeer.get(peerId) ?? 0,
    stop() {
      clearInterval(sweeper)
      pubsub.topicValidators.delete(OFFERS_TOPIC)
      pubsub.unsubscribe(OFFERS_TOPIC)
    },
  }
}
