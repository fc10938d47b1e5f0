import { afterAll, beforeAll, describe, it, expect } from 'vitest'
import { pino } from 'pino'
import { NodeStatus, loadProviderConfig, startProviderNode, type ProviderConfigInput, type ProviderNode } from '@agora/provider-node'
import { startMarketplace, waitFor, type Marketplace } from '../fixtures/marketplace.ts'
import { post } from '../fixtures/provider.ts'

/**
 * The node's operations surface over a real router: the local ops port (`/health`,
 * Prometheus `/metrics`, `/status`) and its structured logs, which carry no prompt or
 * completion unless `logContent` is on.
 */
let market: Marketplace
const nodes: ProviderNode[] = []

beforeAll(async () => {
  market = await startMarketplace({ logLevel: 'error', providers: [] })
}, 180_000)

afterAll(async () => {
  await Promise.all(nodes.map((node) => node.stop()))
  await market?.stop()
})

/** Starts a node whose log lines are kept, with the ops port on a free port of 127.0.0.1. */
async function startNode(config: Omit<ProviderConfigInput, 'bootstrap' | 'engine'> & { bootstrap?: string[] }): Promise<{ node: ProviderNode; logs: string[]; ops: string }> {
  const logs: string[] = []
  const node = await startProviderNode(loadProviderConfig({ bootstrap: market.router.multiaddrs, engine: { kind: 'dev' }, ops: { port: 0 }, ...config }), {
    log: pino({ level: 'info' }, { write: (line: string) => void logs.push(line) }),
  })
  nodes.push(node)
  if (!config.bootstrap) await waitFor(() => market.router.registry.get(node.peerId) !== undefined, `the offer of ${config.name}`, 60_000)
  return { node, logs, ops: `http://127.0.0.1:${node.opsPort}` }
}

const SECRET_PROMPT = 'the launch code is 0000-swordfish'

describe('ops port', () => {
  it('/health, /metrics after requests, /status; logs without prompts or completions', async () => {
    const { node, logs, ops } = await startNode({ name: 'ops-node', models: [{ id: 'dev/ops' }] })
    await expect((await fetch(`${ops}/health`)).json()).resolves.toEqual({ status: 'ok', problems: [] })

    const answered = await post(market, '/chat/completions', { model: 'dev/ops', messages: [{ role: 'user', content: SECRET_PROMPT }] })
    expect(answered.status).toBe(200)
    const { choices, usage } = (await answered.json()) as { choices: Array<{ message: { content: string } }>; usage: { prompt_tokens: number; completion_tokens: number } }
    const refused = await post(market, '/chat/completions', {
      model: 'dev/ops',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'a' } }],
      tool_choice: { type: 'function', function: { name: 'missing' } },
    })
    expect(refused.status).toBe(400)

    const metrics = await fetch(`${ops}/metrics`)
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/)
    const text = await metrics.text()
    const labels = 'engine="dev",model="dev/ops"'
    for (const line of [
      `agora_provider_requests_total{${labels},outcome="succeeded"} 1`,
      `agora_provider_requests_total{${labels},outcome="failed"} 1`,
      `agora_provider_errors_total{${labels},code="invalid_request"} 1`,
      `agora_provider_tokens_total{${labels},type="prompt"} ${usage.prompt_tokens}`,
      `agora_provider_tokens_total{${labels},type="completion"} ${usage.completion_tokens}`,
      `agora_provider_time_to_first_token_seconds_count{${labels}} 1`,
      `agora_provider_request_duration_seconds_count{${labels}} 1`,
      `agora_provider_queue_depth{${labels}} 0`,
      `agora_provider_in_flight{${labels}} 0`,
      'agora_provider_offered_models 1',
      'agora_provider_router_connections 1',
    ]) {
      expect(text).toContain(line)
    }
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m)

    const status = NodeStatus.parse(await (await fetch(`${ops}/status`)).json())
    expect(status).toMatchObject({ name: 'ops-node', peerId: node.peerId, requests: { total: 2, succeeded: 1, failed: 1 }, tokens: { prompt: usage.prompt_tokens, completion: usage.completion_tokens } })
    expect((await fetch(`${ops}/nope`)).status).toBe(404)
    expect((await fetch(`${ops}/metrics`, { method: 'POST' })).status).toBe(405)

    const served = logs.map((line) => JSON.parse(line) as { msg: string; model?: string; completionTokens?: number })
    expect(served.find((line) => line.msg === 'request served')).toMatchObject({ model: 'dev/ops', completionTokens: usage.completion_tokens })
    const all = logs.join('\n')
    expect(all).not.toContain('swordfish')
    expect(all).not.toContain(choices[0]!.message.content)
  }, 120_000)

  it('logs prompts and completions only when logContent is on', async () => {
    const { logs } = await startNode({ name: 'debugging-node', models: [{ id: 'dev/ops-debug' }], logContent: true })
    const answered = await post(market, '/chat/completions', { model: 'dev/ops-debug', messages: [{ role: 'user', content: SECRET_PROMPT }] })
    const { choices } = (await answered.json()) as { choices: Array<{ message: { content: string } }> }
    const all = logs.join('\n')
    expect(all).toContain('swordfish')
    expect(all).toContain(choices[0]!.message.content)
  }, 120_000)

  it('/health answers 503 naming the problem while no router is connected', async () => {
    const unreachable = `/ip4/127.0.0.1/tcp/1/p2p/${market.router.peer.peerId.toString()}`
    const { ops } = await startNode({ name: 'lonely', models: [{ id: 'dev/lonely' }], bootstrap: [unreachable], reconnect: { minDelayMs: 60_000, maxDelayMs: 60_000 } })
    const health = await fetch(`${ops}/health`)
    expect(health.status).toBe(503)
    expect(await health.json()).toEqual({ status: 'unhealthy', problems: ['no router connected'] })
  }, 60_000)
})
