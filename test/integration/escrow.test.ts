import { execFile } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, it, expect } from 'vitest'
import OpenAI from 'openai'
import { concat, createTestClient, encodeAbiParameters, http, keccak256, parseAbiParameters, parseEther, publicActions, type Address, type Hex } from 'viem'
import { creditEscrowAbi, createChainClients, mockUsdcAbi, signDepositPermit, type ChainClients } from '@agora/contracts'
import { SignedReceipt, hashReceipt, operatorFee, verifyReceipt } from '@agora/protocol'
import { initIdentity, loadIdentity } from '@agora/provider-node'
import { LOCAL_THAW_SECONDS } from '../fixtures/chain.ts'
import { startMarketplace, waitFor, type Marketplace } from '../fixtures/marketplace.ts'

/**
 * The escrow end to end, on a real anvil: a user deposits (one permit transaction), the
 * router credits it, the user's requests are served by a provider and settled on chain,
 * the provider claims exactly its earnings with `provider-node claim`, the user proves a
 * generation against the root on chain, and exits through a withdrawal that the router
 * settles before the thaw ends.
 */
const root = resolve(import.meta.dirname, '../..')
const tsx = join(root, 'node_modules/.bin/tsx')
const FEE_BPS = 250

let market: Marketplace
let providerDir: string
let user: ChainClients & { address: Address }
let testClient: ReturnType<typeof testClientOf>

function testClientOf(m: Marketplace) {
  return createTestClient({ mode: 'anvil', chain: m.chain!.anvil.chain, transport: http(m.chain!.rpcUrl) }).extend(publicActions)
}

beforeAll(async () => {
  providerDir = await mkdtemp(join(tmpdir(), 'agora-earner-'))
  await initIdentity(providerDir)
  market = await startMarketplace({
    credits: 0n,
    // Settled when the test asks, or when a withdrawal request is seen; never by the clock here.
    chain: { operatorFeeBps: FEE_BPS, settlementThreshold: 10n ** 15n },
    providers: [
      {
        name: 'earner',
        engine: { kind: 'dev' },
        models: [{ id: 'dev/chat', contextLength: 8192, pricing: { inputPerMTok: 1_000_000, outputPerMTok: 3_000_000 } }],
        identity: await loadIdentity(providerDir),
      },
    ],
  })
  testClient = testClientOf(market)
  const account = market.chain!.anvil.accounts[4]
  user = { address: account.address, ...createChainClients({ rpcUrl: market.chain!.rpcUrl, chain: market.chain!.anvil.chain, privateKey: account.privateKey }) }
}, 120_000)

afterAll(async () => {
  await market?.stop()
})

const admin = (path: string, init: RequestInit = {}) =>
  fetch(`${market.router.url}/api${path}`, { ...init, headers: { authorization: `Bearer ${market.adminToken}`, 'content-type': 'application/json', ...init.headers } })

const escrowRead = <F extends 'receiptsRootOf' | 'balanceOf' | 'earningsOf'>(functionName: F, arg: F extends 'receiptsRootOf' ? bigint : Address) =>
  testClient.readContract({ address: market.chain!.escrow, abi: creditEscrowAbi, functionName, args: [arg] } as never) as Promise<F extends 'receiptsRootOf' ? Hex : bigint>

const tokenBalance = (address: Address) => testClient.readContract({ address: market.chain!.token, abi: mockUsdcAbi, functionName: 'balanceOf', args: [address] })

describe('the escrow, end to end', () => {
  let key: string
  let client: OpenAI
  const generationIds: string[] = []
  let batchId: string

  it('credits a deposit made with a permit once it is on chain', async () => {
    const { token, escrow } = market.chain!
    await user.publicClient.waitForTransactionReceipt({ hash: await user.walletClient.writeContract({ address: token, abi: mockUsdcAbi, functionName: 'mint', args: [user.address, 20_000_000n] }) })
    const args = await signDepositPermit({ ...user, token, escrow, amount: 20_000_000n, deadline: BigInt(Math.floor(Date.now() / 1000) + 3600) })
    await user.publicClient.waitForTransactionReceipt({ hash: await user.walletClient.writeContract({ address: escrow, abi: creditEscrowAbi, functionName: 'depositWithPermit', args }) })

    await waitFor(async () => (await admin(`/accounts/${user.address}`)).status === 200, 'the depositor’s account')
    const account = (await (await admin(`/accounts/${user.address}`)).json()) as { credits: { deposited_micro_usd: string; balance_micro_usd: string } }
    expect(account.credits).toMatchObject({ deposited_micro_usd: '20000000', balance_micro_usd: '20000000' })
    key = ((await (await admin(`/accounts/${user.address}/keys`, { method: 'POST', body: JSON.stringify({ name: 'escrow e2e' }) })).json()) as { secret: string }).secret
    client = new OpenAI({ baseURL: market.baseURL, apiKey: key })
  })

  it('serves requests through the provider and settles them in one batch, fee and totals exact', async () => {
    for (const content of ['Hello!', 'Tell me a story.']) {
      const { response } = await client.chat.completions.create({ model: 'dev/chat', messages: [{ role: 'user', content }] }).withResponse()
      generationIds.push(response.headers.get('x-generation-id')!)
    }
    const { data: stream, response } = await client.chat.completions.create({ model: 'dev/chat', messages: [{ role: 'user', content: 'Stream it.' }], stream: true }).withResponse()
    for await (const chunk of stream) void chunk
    generationIds.push(response.headers.get('x-generation-id')!)

    const costs = await Promise.all(generationIds.map(async (id) => BigInt((await generation(id)).total_cost_micro_usd)))
    const total = costs.reduce((sum, cost) => sum + cost, 0n)
    expect(total).toBeGreaterThan(0n)

    const step = await market.router.chain!.settler!.settle()
    expect(step.kind).toBe('confirmed')
    const response2 = await fetch(`${market.baseURL}/settlements/${(step as { batch: { id: bigint } }).batch.id}`, { headers: { authorization: `Bearer ${key}` } })
    const { data: batch } = (await response2.json()) as { data: Record<string, unknown> & { id: string; debits: unknown[]; credits: Array<{ payout: string; amount_micro_usd: string }> } }
    batchId = batch.id
    const payout = (await loadIdentity(providerDir)).payout
    const payoutAddress = payout.kind === 'key' ? payout.account.address : payout.address
    const fee = operatorFee(total, FEE_BPS)
    expect(batch).toMatchObject({
      status: 'confirmed',
      debited_micro_usd: total.toString(),
      fee_micro_usd: fee.toString(),
      credited_micro_usd: (total - fee).toString(),
      generations: 3,
      debits: [{ account: user.address, amount_micro_usd: total.toString() }],
      credits: [{ payout: payoutAddress, amount_micro_usd: (total - fee).toString() }],
      treasury: market.chain!.treasury.address.toLowerCase(),
    })
    for (const id of generationIds) expect((await generation(id)).settlement_batch_id).toBe(batchId)
    expect(await escrowRead('balanceOf', user.address)).toBe(20_000_000n - total)
    expect(await escrowRead('earningsOf', payoutAddress)).toBe(total - fee)
    expect(await escrowRead('earningsOf', market.chain!.treasury.address)).toBe(fee)
  })

  it('lets the provider see and claim exactly its earnings with provider-node', async () => {
    const payout = (await loadIdentity(providerDir)).payout
    if (payout.kind !== 'key') throw new Error('init wrote a payout key')
    const earned = await escrowRead('earningsOf', payout.account.address)
    const flags = ['--data-dir', providerDir, '--rpc-url', market.chain!.rpcUrl, '--escrow', market.chain!.escrow]
    const run = promisify(execFile)
    const { stdout: earnings } = await run(tsx, ['provider-node/src/main.ts', 'earnings', ...flags, '--json'], { cwd: root })
    expect(JSON.parse(earnings)).toMatchObject({ payout: payout.account.address, claimable: earned.toString() })

    // The payout address pays the claim's gas.
    await testClient.setBalance({ address: payout.account.address, value: parseEther('1') })
    const before = await tokenBalance(payout.account.address)
    const { stdout } = await run(tsx, ['provider-node/src/main.ts', 'claim', ...flags], { cwd: root })
    expect(stdout).toContain(`Claimed $`)
    expect(await tokenBalance(payout.account.address)).toBe(before + earned)
    expect(await escrowRead('earningsOf', payout.account.address)).toBe(0n)
    expect((await run(tsx, ['provider-node/src/main.ts', 'claim', ...flags], { cwd: root })).stdout).toContain('Nothing to claim')
  }, 120_000)

  it("lets the user prove a generation against the escrow's root with a few lines of viem", async () => {
    const id = generationIds[0]!
    const response = await fetch(`${market.baseURL}/settlements/${batchId}/proof?generation=${id}`, { headers: { authorization: `Bearer ${key}` } })
    expect(response.status).toBe(200)
    const { data } = (await response.json()) as {
      data: { leaf: { generation_id: string; account: Address; payout: Address; cost_micro_usd: string; receipt_hash: Hex }; proof: Hex[]; receipt: unknown; escrow: Address }
    }
    // docs/chain.md, "Verifying a generation": the leaf, folded with the proof, is the root the escrow holds.
    const { leaf, proof } = data
    const leafHash = keccak256(
      keccak256(encodeAbiParameters(parseAbiParameters('string, address, address, uint256, bytes32'), [leaf.generation_id, leaf.account, leaf.payout, BigInt(leaf.cost_micro_usd), leaf.receipt_hash])),
    )
    const computed = proof.reduce((node, sibling) => keccak256(node < sibling ? concat([node, sibling]) : concat([sibling, node])), leafHash)
    const onChain = await testClient.readContract({ address: data.escrow, abi: creditEscrowAbi, functionName: 'receiptsRootOf', args: [BigInt(batchId)] })
    expect(computed).toBe(onChain)

    // The leaf commits to the provider's signed receipt, which the payout address signed.
    const receipt = SignedReceipt.parse(data.receipt)
    expect(hashReceipt(receipt)).toBe(leaf.receipt_hash)
    expect(await verifyReceipt(receipt, leaf.payout)).toBe(true)
    expect(leaf).toMatchObject({ generation_id: id, account: user.address, cost_micro_usd: (await generation(id)).total_cost_micro_usd })

    // Another account's key gets no proof of it.
    const other = await fetch(`${market.baseURL}/settlements/${batchId}/proof?generation=${id}`, { headers: { authorization: `Bearer ${market.apiKey}` } })
    expect(other.status).toBe(404)
  })

  it('settles what the user spent as soon as it asks to withdraw, then pays out exactly what is left', async () => {
    const { data: last, response } = await client.chat.completions.create({ model: 'dev/chat', messages: [{ role: 'user', content: 'One more.' }] }).withResponse()
    expect(last.choices[0]!.message.content).toBeTruthy()
    const id = response.headers.get('x-generation-id')!
    const cost = BigInt((await generation(id)).total_cost_micro_usd)
    const escrowed = await escrowRead('balanceOf', user.address)
    const send = async (call: { functionName: 'requestWithdrawal'; args: [bigint] } | { functionName: 'withdraw' }) =>
      user.publicClient.waitForTransactionReceipt({ hash: await user.walletClient.writeContract({ address: market.chain!.escrow, abi: creditEscrowAbi, ...call } as never) })

    // Everything still escrowed, though part of it is spent and not settled yet.
    await send({ functionName: 'requestWithdrawal', args: [escrowed] })
    await waitFor(async () => (await generation(id)).settlement_batch_id !== null, 'the withdrawal to trigger a settlement', 30_000)
    await waitFor(async () => (await escrowRead('balanceOf', user.address)) === escrowed - cost, 'the settlement to land', 30_000)
    const credits = async () => ((await (await admin(`/accounts/${user.address}`)).json()) as { credits: { balance_micro_usd: string } }).credits.balance_micro_usd
    // Nothing is spendable while the request thaws: the rest is reserved for it.
    expect(await credits()).toBe('0')

    await testClient.increaseTime({ seconds: LOCAL_THAW_SECONDS })
    const before = await tokenBalance(user.address)
    await send({ functionName: 'withdraw' })
    expect(await tokenBalance(user.address)).toBe(before + escrowed - cost)
    await waitFor(async () => (await escrowRead('balanceOf', user.address)) === 0n, 'the withdrawal')
    // The ledger dropped by what was paid: the reservation, exactly.
    await market.router.chain!.watcher.catchUp()
    expect(await credits()).toBe('0')
  })

  async function generation(id: string): Promise<{ total_cost_micro_usd: string; settlement_batch_id: string | null }> {
    const response = await fetch(`${market.baseURL}/generation?id=${id}`, { headers: { authorization: `Bearer ${key}` } })
    return ((await response.json()) as { data: { total_cost_micro_usd: string; settlement_batch_id: string | null } }).data
  }
})
