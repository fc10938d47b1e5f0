import { afterAll, beforeAll, describe, it, expect } from 'vitest'
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NodeStatus, loadProviderConfig } from '@agora/provider-node'
import { startMarketplace, waitFor, type Marketplace } from '../fixtures/marketplace.ts'
import { post, readEvents, runProviderCli, spawnProviderCli, type ProviderProcess } from '../fixtures/provider.ts'

/**
 * `provider-node` as a GPU owner runs it, each command in its own process against a real
 * router: init → start → status, config errors, and a SIGTERM that drains.
 */
let market: Marketplace
const running: ProviderProcess[] = []

beforeAll(async () => {
  market = await startMarketplace({ logLevel: 'error', providers: [] })
}, 180_000)

afterAll(async () => {
  for (const node of running) if (node.child.exitCode === null) node.child.kill('SIGKILL')
  await market?.stop()
})

const mode = async (path: string) => (await stat(path)).mode & 0o777

describe('provider-node --help', () => {
  it('every command explains itself', async () => {
    const [main, init, start, status] = await Promise.all([
      runProviderCli(['--help']),
      runProviderCli(['init', '--help']),
      runProviderCli(['start', '--help']),
      runProviderCli(['status', '--help']),
    ])
    expect(main).toMatchObject({ code: 0 })
    expect(main.stdout).toMatch(/provider-node init .*\n.*provider-node start .*\n.*provider-node status /)
    expect(init).toMatchObject({ code: 0 })
    expect(init.stdout).toContain('--payout-address')
    expect(init.stdout).toContain('mode 0600')
    expect(start).toMatchObject({ code: 0 })
    expect(start.stdout).toContain('PROVIDER_BOOTSTRAP')
    expect(start.stdout).toContain('SIGTERM')
    expect(status).toMatchObject({ code: 0 })
    expect(status.stdout).toContain('--json')
  }, 120_000)
})

describe('init → start → status → SIGTERM', () => {
  it('init writes a 0600 identity and a commented config that start accepts; status reports the offer, routers, requests and tokens; SIGTERM drains', async () => {
    const dataDir = join(await mkdtemp(join(tmpdir(), 'agora-provider-cli-')), 'node')
    const init = await runProviderCli(['init', '--data-dir', dataDir, '--name', 'cli-node', '--engine', 'dev', '--model', 'dev/cli', '--router', market.router.multiaddrs[0]!])
    expect(init.code, init.stderr).toBe(0)
    const peerId = /peer id\s+(\S+)/.exec(init.stdout)![1]!
    expect(init.stdout).toMatch(/payout\s+0x[0-9a-fA-F]{40} \(new key: payout\.key/)
    expect(await mode(dataDir)).toBe(0o700)
    for (const file of ['peer.key', 'payout.key', 'provider.json']) expect(await mode(join(dataDir, file)), file).toBe(0o600)
    // Keys are never printed.
    const payoutKey = (await readFile(join(dataDir, 'payout.key'), 'utf8')).trim()
    const peerKey = (await readFile(join(dataDir, 'peer.key'), 'utf8')).trim()
    expect(init.stdout).not.toContain(payoutKey.slice(2))
    expect(init.stdout).not.toContain(peerKey)
    const written = JSON.parse(await readFile(join(dataDir, 'provider.json'), 'utf8'))
    expect(written['// bootstrap']).toMatch(/router/)
    expect(loadProviderConfig(written)).toMatchObject({ name: 'cli-node', engine: { kind: 'dev' }, models: [{ id: 'dev/cli' }] })
    // A slow engine, so a stream is still running when the node is told to stop.
    await writeFile(join(dataDir, 'provider.json'), JSON.stringify({ ...written, engine: { kind: 'dev', tokensPerSecond: 3 } }))

    const node = spawnProviderCli(['start', '--data-dir', dataDir], { LOG_LEVEL: 'info' })
    running.push(node)
    await node.waitForLine((line) => line.includes('provider node started'))
    await waitFor(() => market.router.registry.get(peerId)?.models[0]?.id === 'dev/cli', 'the offer of the cli node', 60_000)

    const answer = await post(market, '/chat/completions', { model: 'dev/cli', max_tokens: 2, messages: [{ role: 'user', content: 'hi' }] })
    expect(answer.status).toBe(200)
    const { usage } = (await answer.json()) as { usage: { prompt_tokens: number; completion_tokens: number } }

    const status = await runProviderCli(['status', '--data-dir', dataDir])
    expect(status.code, status.stderr).toBe(0)
    expect(status.stdout).toContain('provider-node cli-node: running')
    expect(status.stdout).toContain(`peer id    ${peerId}`)
    expect(status.stdout).toContain('routers    1 of 1 connected')
    expect(status.stdout).toContain(`${market.router.multiaddrs[0]}  connected for`)
    expect(status.stdout).toMatch(/offer {6}seq \d+, expires in .*, 1 model\n {4}dev\/cli {2}context 8192 {2}\$0\.1 in \/ \$0\.3 out per M tokens {2}running 0\/16, queued 0\/4/)
    expect(status.stdout).toContain('requests   1 (1 succeeded, 0 failed, 0 aborted, 0 busy)')
    expect(status.stdout).toContain(`tokens     ${usage.prompt_tokens} prompt, ${usage.completion_tokens} completion`)
    expect(status.stdout).toContain('earnings   not available until the escrow is configured')
    const json = NodeStatus.parse(JSON.parse((await runProviderCli(['status', '--data-dir', dataDir, '--json'])).stdout))
    expect(json).toMatchObject({ name: 'cli-node', peerId, state: 'running', requests: { total: 1, succeeded: 1 }, earnings: null })

    // A second node with the same identity refuses to start, before it touches the network.
    const twin = await runProviderCli(['start', '--data-dir', dataDir])
    expect(twin.code).toBe(2)
    expect(twin.stderr).toContain('a provider node is already running with this data dir')
    expect(twin.stdout).not.toContain('connected to router')

    // A second node on the same model, to take the requests while the first drains.
    await market.addProvider({ name: 'other', engine: { kind: 'dev' }, models: [{ id: 'dev/cli' }] })
    const streaming = await post(market, '/chat/completions', { model: 'dev/cli', stream: true, provider: { order: ['cli-node'] }, messages: [{ role: 'user', content: 'a long story' }] })
    expect(streaming.status).toBe(200)
    let signalled = false
    const events = readEvents(streaming, () => {
      if (signalled) return
      signalled = true
      node.child.kill('SIGTERM')
    })
    await node.waitForLine((line) => line.includes('draining'))
    // The router hears the empty offer while the stream still runs, and sends new requests elsewhere.
    await waitFor(() => market.router.registry.get(peerId)?.models.length === 0, 'the offer with no capacity', 30_000)
    const elsewhere = await post(market, '/chat/completions', { model: 'dev/cli', provider: { order: ['cli-node'] }, messages: [{ role: 'user', content: 'hi' }] })
    expect(((await elsewhere.json()) as { provider: string }).provider).toBe('other')

    const streamed = await events
    expect(streamed.at(-1)).toBe('[DONE]')
    expect(streamed.slice(0, -1).every((data) => JSON.parse(data).provider === 'cli-node')).toBe(true)
    expect(await node.exited).toBe(0)
    expect(node.lines.some((line) => line.includes('"msg":"drained"'))).toBe(true)
    await waitFor(() => market.router.peer.getConnections().every((c) => c.remotePeer.toString() !== peerId), 'the node to hang up', 30_000)

    const stopped = await runProviderCli(['status', '--data-dir', dataDir])
    expect(stopped.code).toBe(3)
    expect(stopped.stdout).toContain('not running')
    expect(stopped.stdout).toContain(peerId)
  }, 300_000)
})

describe('mistakes', () => {
  it('a bad config exits 2 naming each bad field; no identity and an unknown command too', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'agora-provider-cli-'))
    const config = join(dataDir, 'bad.json')
    await writeFile(
      config,
      JSON.stringify({
        bootstrap: [market.router.multiaddrs[0]],
        engine: { kind: 'openai', baseUrl: '127.0.0.1:8000/v1' },
        models: [{ id: 'm', maxConcurency: 4, pricing: { inputPerMTok: -1, outputPerMTok: 1 } }],
      }),
    )
    const good = join(dataDir, 'good.json')
    await writeFile(good, JSON.stringify({ bootstrap: [market.router.multiaddrs[0]], engine: { kind: 'dev' } }))
    const empty = join(dataDir, 'empty')
    const [bad, noIdentity, noIdentityStatus, unknown] = await Promise.all([
      runProviderCli(['start', '--data-dir', dataDir, '--config', config]),
      runProviderCli(['start', '--data-dir', empty, '--config', good]),
      runProviderCli(['status', '--data-dir', empty]),
      runProviderCli(['serve']),
    ])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('provider-node: invalid config:')
    expect(bad.stderr).toMatch(/^engine\.baseUrl: /m)
    expect(bad.stderr).toContain('models.0.maxConcurency: unknown field')
    expect(bad.stderr).toMatch(/^models\.0\.pricing\.inputPerMTok: /m)
    expect(noIdentity.code).toBe(2)
    expect(noIdentity.stderr).toMatch(/no node identity in .*empty: run `provider-node init/)
    expect(noIdentityStatus.code).toBe(2)
    expect(noIdentityStatus.stderr).toMatch(/no node identity in .*empty: run `provider-node init/)
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("unknown command 'serve'")
  }, 120_000)
})
