import { Offer, OFFERS_TOPIC, MAX_OFFER_BYTES, MIN_ANNOUNCE_GAP_MS, type MarketPeer, type OfferInput, encodeOffer } from '@agora/protocol'
import type { Logger } from 'pino'

export interface AnnouncerParameters {
  peer: MarketPeer
  /** Builds the current offer; `seq` and `expiresAt` are filled in by the announcer. */
  offer: () => Omit<OfferInput, 'seq' | 'expiresAt'>
  intervalMs: number
  ttlMs: number
  log: Logger
}

export interface Announcer {
  /** Publishes now. */
  announce(): Promise<void>
  /** Something in the offer changed: publish soon, at most once per `MIN_ANNOUNCE_GAP_MS`. */
  changed(): void
  /** The last offer published. */
  readonly last: Offer | undefined
  stop(): void
}

/**
 * Publishes the node's offer on the offers topic: at start, on an interval, when it
 * changes (rate-limited), and whenever a peer subscribes to the topic so a router that
 * just connected learns it at once. `seq` is clock-based so it keeps increasing across restarts.
 */
export function createAnnouncer({ peer, offer, intervalMs, ttlMs, log }: AnnouncerParameters): Announcer {
  let seq = 0
  let last: Offer | undefined
  let lastAt = 0
  let pending: NodeJS.Timeout | undefined
  let stopped = false

  async function announce(): Promise<void> {
    if (stopped) return
    clearTimeout(pending)
    pending = undefined
    const now = Date.now()
    seq = Math.max(seq + 1, now)
    lastAt = now
    try {
      const next = Offer.parse({ ...offer(), seq, expiresAt: now + ttlMs })
      const data = encodeOffer(next)
      if (data.byteLength > MAX_OFFER_BYTES) throw new RangeError(`offer of ${data.byteLength} bytes exceeds ${MAX_OFFER_BYTES}: publish fewer models`)
      last = next
      await peer.services.pubsub.publish(OFFERS_TOPIC, data)
    } catch (error) {
      log.warn({ err: error }, 'offer not published')
    }
  }

  function changed(): void {
    if (stopped || pending) return
    const wait = Math.max(0, lastAt + MIN_ANNOUNCE_GAP_MS - Date.now())
    pending = setTimeout(() => void announce(), wait)
  }

  const interval = setInterval(() => void announce(), intervalMs)
  const onSubscription = (event: CustomEvent<{ subscriptions: Array<{ topic: string; subscribe: boolean }> }>) => {
    if (event.detail.subscriptions.some((s) => s.topic === OFFERS_TOPIC && s.subscribe)) changed()
  }
  peer.services.pubsub.addEventListener('subscription-change', onSubscription)

  return {
    announce,
    changed,
    get last() {
      return last
    },
    stop() {
      stopped = true
      clearInterval(interval)
      clearTimeout(pending)
      peer.services.pubsub.removeEventListener('subscription-change', onSubscription)
    },
  }
}
