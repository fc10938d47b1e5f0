import { afterAll, beforeAll, describe, it, expect } from 'vitest'
import OpenAI from 'openai'
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import { createDevEngine, type Engine } from '@agora/provider-node'
import {
  INFER_PROTOCOL,
  InferRequest,
  OFFERS_TOPIC,
  SignedReceipt,
  createPeer,
  encodeFrame,
  encodeOffer,
  keepConnected,
  readFrames,
  requestCost,
  signPeerBinding,
  signReceipt,
  verifyReceipt,
  type MarketPeer,
  type Receipt,
  type Usage,
} from '@agora/protocol'
import { startMarketplace, waitFor, type Marketplace } from '../fixtures/marketplace.ts'

/**
 * Signed usage receipts between a real router and real provider nodes over libp2p: every
 * completed request leaves a receipt with its generation that verifies against the
 * provider's payout address, and a receipt that lies (a hand-driven peer, a node whose
 * engine inflates its usage) is rejected while the generation is billed by the router's count.
 */
let market: Marketplace
let rogue: MarketPeer
let rogueId: string
const roguePayout = privateKeyToAccount(generatePrivateKey())

const PRICE = { inputPerMTok: 1_000_000, outputPerMTok: 2_000_000 }
const PRICING = { inputPerMTok: 1_000_000n, outputPerMTok: 2_000_000n }

/** A dev engine that claims a thousand times the tokens it produced. */
function inflatingEngine(): Engine {
  const dev = createDevEngine({ models: [{ id: 'dev/inflated-receipts' }] })
  return {
    kind: 'inflating',
    models: dev.models,
    async *run(request, signal) {
      for await (const event of dev.run(request, signal)) {
        yield event.type === 'usage' ? { type: 'usage', usage: { prompt_tokens: 5_000, completion_tokens: 5_000, total_tokens: 10_000 } } : event
      }
    },
  }
}

/**
 * What the hand-driven provider puts in its last frame, given the request and the usage it
 * reported in `end`; undefined sends no receipt.
 */
type RogueReceipt = (request: InferRequest, routerPeerId: string, usage: Usage) => Promise<SignedReceipt | undefined>
let rogueReceipt: RogueReceipt

function receiptFor(request: InferRequest, routerPeerId: string, usage: Usage, overrides: Partial<Receipt> = {}): Receipt {
  const tokens = { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens, ...overrides }
  return {
    generationId: request.id,
    routerPeerId,
    providerPeerId: rogueId,
    model: String(request.body.model),
    ...PRICING,
    cost: requestCost(tokens, PRICING),
    timestamp: Date.now(),
    ...overrides,
    ...tokens,
  }
}

const honestly =
  (account: PrivateKeyAccount = roguePayout, overrides: Partial<Receipt> = {}): RogueReceipt =>
  async (request, routerPeerId, usage) =>
    signReceipt({ account, receipt: receiptFor(request, routerPeerId, usage, overrides) })

/** A provider driven by hand: a valid offer, a fixed answer, and whatever receipt the test wants. */
async function startRogue(): Promise<void> {
  rogue = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'] })
  rogueId = rogue.peerId.toString()
  await rogue.handle(INFER_PROTOCOL, async (stream, connection) => {
    const frames = readFrames(stream)
    const request = InferRequest.parse((await frames.next()).value)
    void frames.return(undefined)
    const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 }
    const message = { role: 'assistant', content: 'hi there' }
    const data = { id: 'chatcmpl-rogue', object: 'chat.completion', created: 1, model: request.body.model, choices: [{ index: 0, message, finish_reason: 'stop' }], usage }
    stream.send(encodeFrame({ t: 'result', data }))
    stream.send(encodeFrame({ t: 'end', usage }))
    const receipt = await rogueReceipt(request, connection.remotePeer.toString(), usage)
    if (receipt) stream.send(encodeFrame({ t: 'receipt', receipt }))
    await stream.close()
  })
  rogue.services.pubsub.subscribe(OFFERS_TOPIC)
  await keepConnected(rogue, market.router.multiaddrs)
  const routerId = market.router.peer.peerId.toString()
  await waitFor(() => rogue.services.pubsub.getSubscribers(OFFERS_TOPIC).some((p) => p.toString() === routerId), 'the router to subscribe')
  const offer = {
    v: 1 as const,
    peerId: rogueId,
    name: 'rogue',
    payout: roguePayout.address,
    binding: await signPeerBinding({ account: roguePayout, peerId: rogueId }),
    seq: Date.now(),
    expiresAt: Date.now() + 100_000,
    models: [{ id: 'rogue/chat', contextLength: 4096, pricing: PRICING, maxConcurrency: 4, inFlight: 0 }],
  }
  await rogue.services.pubsub.publish(OFFERS_TOPIC, encodeOffer(offer))
  await waitFor(() => market.router.registry.get(rogueId) !== undefined, 'the rogue offer to register')
}

beforeAll(async () => {
  market = await startMarketplace({
    logLevel: 'silent',
    providers: [
      { name: 'receipts-node', engine: { kind: 'dev' }, models: [{ id: 'dev/chat', pricing: PRICE }, { id: 'dev/embed', pricing: PRICE }] },
      { name: 'inflating-receipts', engine: { kind: 'dev' }, engineInstance: inflatingEngine(), models: [{ id: 'dev/inflated-receipts', pricing: PRICE }] },
    ],
  })
  await startRogue()
}, 120_000)

afterAll(async () => {
  await rogue?.stop()
  await market?.stop()
})

const client = () => new OpenAI({ baseURL: market.baseURL, apiKey: market.apiKey, maxRetries: 0 })

async function generation(id: string) {
  const row = await market.router.database.db.query.generations.findFirst({
    where: (g, { eq }) => eq(g.id, id),
    columns: { id: true, providerPeerId: true, promptTokens: true, completionTokens: true, cost: true, status: true, receipt: true },
  })
  if (!row) throw new Error(`no generation ${id}`)
  return row
}

/** Checks a stored receipt against its generation and the provider that served it. */
async function expectReceipt(generationId: string, provider: { peerId: string; payout: `0x${string}` }) {
  const row = await generation(generationId)
  const receipt = SignedReceipt.parse(row.receipt)
  expect(await verifyReceipt(receipt, provider.payout)).toBe(true)
  expect(receipt).toMatchObject({
    generationId,
    routerPeerId: market.router.peer.peerId.toString(),
    providerPeerId: provider.peerId,
    promptTokens: row.promptTokens,
    completionTokens: row.completionTokens,
    cost: row.cost,
  })
  return receipt
}

describe('a completed request', () => {
  it('stores the provider’s receipt with a chat generation, signed by its payout address', async () => {
    const { data, response } = await client().chat.completions.create({ model: 'dev/chat', messages: [{ role: 'user', content: 'sign this' }] }).withResponse()
    const generationId = response.headers.get('x-generation-id')!
    const receipt = await expectReceipt(generationId, market.providers[0]!)
    expect(receipt).toMatchObject({ model: 'dev/chat', promptTokens: data.usage!.prompt_tokens, completionTokens: data.usage!.completion_tokens, ...PRICING })
  })

  it('stores one with a streamed generation, whether or not the client asked for usage', async () => {
    for (const includeUsage of [false, true]) {
      const { data: stream, response } = await client()
        .chat.completions.create({ model: 'dev/chat', messages: [{ role: 'user', content: 'stream and sign' }], stream: true, ...(includeUsage ? { stream_options: { include_usage: true } } : {}) })
        .withResponse()
      let streamed: OpenAI.CompletionUsage | undefined
      for await (const chunk of stream) streamed = chunk.usage ?? streamed
      const receipt = await expectReceipt(response.headers.get('x-generation-id')!, market.providers[0]!)
      if (includeUsage) expect(receipt.completionTokens).toBe(streamed!.completion_tokens)
    }
  })

  it('stores one with an embeddings generation', async () => {
    const { response } = await client().embeddings.create({ model: 'dev/embed', input: 'sign me too' }).withResponse()
    const receipt = await expectReceipt(response.headers.get('x-generation-id')!, market.providers[0]!)
    expect(receipt.completionTokens).toBe(0)
  })
})

describe('a receipt that disagrees', () => {
  it('from a node whose engine inflates its usage: billed by the router’s bound, no receipt stored', async () => {
    const inflating = market.providers[1]!
    const before = market.router.receipts.rejected.usage
    const { response } = await client().chat.completions.create({ model: 'dev/inflated-receipts', messages: [{ role: 'user', content: 'hi' }] }).withResponse()
    const row = await generation(response.headers.get('x-generation-id')!)
    expect(row.completionTokens).toBeLessThan(5_000)
    expect(row.cost).toBe(requestCost(row, PRICING))
    expect(row.receipt).toBeNull()
    expect(market.router.receipts.rejected.usage).toBe(before + 1)
    expect(market.router.receipts.rejectionsOf(inflating.peerId)).toBeGreaterThan(0)
  })

  const lies: Array<[string, () => RogueReceipt, keyof Marketplace['router']['receipts']['rejected']]> = [
    ['signed by another key than the offer’s payout', () => honestly(privateKeyToAccount(generatePrivateKey())), 'bad-signature'],
    ['claiming more tokens than the router bills, properly signed', () => honestly(roguePayout, { completionTokens: 2_000 }), 'usage'],
    // Every field still agrees with the request; only the signature can tell.
    [
      'changed after signing',
      () => async (request, routerPeerId, usage) => {
        const signed = (await honestly()(request, routerPeerId, usage))!
        return { ...signed, timestamp: signed.timestamp + 1 }
      },
      'bad-signature',
    ],
    ['for another generation', () => honestly(roguePayout, { generationId: 'gen-somebody-else' }), 'mismatch'],
    ['naming another router', () => async (request, _router, usage) => honestly()(request, market.providers[0]!.peerId, usage), 'mismatch'],
    ['at another price', () => honestly(roguePayout, { outputPerMTok: 9_000_000n, cost: requestCost({ promptTokens: 3, completionTokens: 2 }, { inputPerMTok: 1_000_000n, outputPerMTok: 9_000_000n }) }), 'mismatch'],
    ['missing altogether', () => async () => undefined, 'missing'],
  ]
  for (const [what, lie, reason] of lies) {
    it(`${what}: rejected (${reason}), billed by the router’s count, no receipt stored`, async () => {
      rogueReceipt = lie()
      const before = { ...market.router.receipts.rejected }
      const against = market.router.receipts.rejectionsOf(rogueId)
      const { data, response } = await client().chat.completions.create({ model: 'rogue/chat', messages: [{ role: 'user', content: 'hello' }] }).withResponse()
      expect(data.choices[0]!.message.content).toBe('hi there')
      const row = await generation(response.headers.get('x-generation-id')!)
      expect(row).toMatchObject({ providerPeerId: rogueId, status: 'completed', promptTokens: 3, completionTokens: 2, receipt: null })
      expect(row.cost).toBe(requestCost({ promptTokens: 3, completionTokens: 2 }, PRICING))
      expect(market.router.receipts.rejected).toEqual({ ...before, [reason]: before[reason] + 1 })
      expect(market.router.receipts.rejectionsOf(rogueId)).toBe(against + 1)
    })
  }

  it('the same hand-driven peer’s honest receipt is stored (the lies above are the only difference)', async () => {
    rogueReceipt = honestly()
    const { response } = await client().chat.completions.create({ model: 'rogue/chat', messages: [{ role: 'user', content: 'hello' }] }).withResponse()
    await expectReceipt(response.headers.get('x-generation-id')!, { peerId: rogueId, payout: roguePayout.address })
  })
})
