import { describe, it, expect } from 'vitest'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { decodeOffer, encodeOffer, signPeerBinding, verifyPeerBinding, type Offer } from './offer.ts'
import { MAX_OFFER_TTL_MS } from './constants.ts'

const payout = privateKeyToAccount(generatePrivateKey())
const peerId = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
const binding = await signPeerBinding({ account: payout, peerId })
const now = 1_800_000_000_000

const offer = (overrides: Partial<Offer> = {}): Offer => ({
  v: 1,
  peerId,
  name: 'node',
  payout: payout.address,
  binding,
  seq: 7,
  expiresAt: now + 60_000,
  models: [{ id: 'm', contextLength: 4096, quantization: 'q8_0', pricing: { inputPerMTok: 123_456_789_012_345_678_901n, outputPerMTok: 0n }, maxConcurrency: 2, inFlight: 1 }],
  ...overrides,
})

describe('peer binding (EIP-712)', () => {
  it('verifies for the signing payout address and peer id only', async () => {
    expect(await verifyPeerBinding(peerId, payout.address, binding)).toBe(true)
    expect(await verifyPeerBinding(peerId, privateKeyToAccount(generatePrivateKey()).address, binding)).toBe(false)
    expect(await verifyPeerBinding(`${peerId}x`, payout.address, binding)).toBe(false)
    expect(await verifyPeerBinding(peerId, payout.address, `0x${'00'.repeat(65)}`)).toBe(false)
  })
})

describe('decodeOffer', () => {
  it('round-trips an offer, bigint prices exact', async () => {
    const result = await decodeOffer(encodeOffer(offer()), peerId, now)
    expect(result).toEqual({ ok: true, offer: offer() })
  })

  it('names why an offer is rejected', async () => {
    const reason = async (data: Uint8Array, from = peerId) => {
      const result = await decodeOffer(data, from, now)
      return result.ok ? 'ok' : result.reason
    }
    expect(await reason(new TextEncoder().encode('nope'))).toBe('malformed')
    expect(await reason(new TextEncoder().encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(encodeOffer(offer()))), v: 2 })))).toBe('malformed')
    expect(await reason(encodeOffer(offer()), 'someone-else')).toBe('peer-mismatch')
    expect(await reason(encodeOffer(offer({ expiresAt: now })))).toBe('expired')
    expect(await reason(encodeOffer(offer({ expiresAt: now + MAX_OFFER_TTL_MS + 60_000 })))).toBe('ttl-too-long')
    expect(await reason(encodeOffer(offer({ payout: privateKeyToAccount(generatePrivateKey()).address })))).toBe('bad-binding')
  })

  it('verifies a binding once and remembers it', async () => {
    const known = new Set<string>()
    expect((await decodeOffer(encodeOffer(offer()), peerId, now, known)).ok).toBe(true)
    expect(known.size).toBe(1)
    expect((await decodeOffer(encodeOffer(offer({ seq: 8 })), peerId, now, known)).ok).toBe(true)
    expect(known.size).toBe(1)
  })
})
