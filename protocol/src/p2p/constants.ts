/** Protocol ids, topics, limits and timeouts of the marketplace's libp2p protocols, in one place. */

/** Gossipsub topic on which provider nodes publish their signed offers. */
export const OFFERS_TOPIC = '/agora/offers/1.0.0'

/** Stream protocol on which a router sends one inference request and reads its frames. */
export const INFER_PROTOCOL = '/agora/infer/1.0.0'

/** Largest offer message accepted from gossipsub. */
export const MAX_OFFER_BYTES = 64 * 1024

/** Largest single frame on an inference stream (a request body or one response frame). */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024

/** Models one offer may list. */
export const MAX_OFFER_MODELS = 256

/** An offer must expire within this long of being received; longer claims are rejected. */
export const MAX_OFFER_TTL_MS = 120_000

/** Default lifetime of an offer; providers re-announce well before it ends. */
export const DEFAULT_OFFER_TTL_MS = 90_000

/** Default interval between re-announcements of an unchanged offer. */
export const DEFAULT_ANNOUNCE_INTERVAL_MS = 30_000

/** Minimum time between two announcements caused by changes (load, models). */
export const MIN_ANNOUNCE_GAP_MS = 250

/** Tolerated clock skew between a provider and a router. */
export const CLOCK_SKEW_MS = 5_000

/** How long a provider waits for the request frame after a stream opens. */
export const REQUEST_FRAME_TIMEOUT_MS = 10_000

/** How long a router waits for a provider's receipt after the `end` frame (the provider signs it right after `end`). */
export const RECEIPT_TIMEOUT_MS = 1_000

/** Default deadline of one inference request, end to end. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 300_000

/** Inbound inference streams a provider accepts at once per connection. */
export const MAX_INBOUND_INFER_STREAMS = 1024

/** Outbound inference streams a router opens at once per provider connection (libp2p's default is 64). */
export const MAX_OUTBOUND_INFER_STREAMS = 1024
