import { describe, expect, it } from 'vitest'
import { agoraPolicy } from './agora-policy.ts'
import { cheapestPolicy, leastLoadedPolicy, randomPolicy } from './baselines.ts'
import { parseSimConfig } from './config.ts'
import { drawMarket } from './market.ts'
import { summarize } from './metrics.ts'
import { simulate, Status } from './simulate.ts'
import { drawWorkload } from './workload.ts'

const config = parseSimConfig(['--requests', '3000', '--providers', '100', '--models', '2', '--rate', '20'])
const market = drawMarket(config)
const requests = drawWorkload(config, market.models)
const run = (factory = agoraPolicy) => simulate(market, requests, factory, { announceMs: config.announceMs, seed: config.seed, routing: config.routing })

describe('drawWorkload', () => {
  it('draws the requested count in order of arrival', () => {
    expect(requests).toHaveLength(3000)
    expect(requests.every((r, i) => r.index === i && (i === 0 || r.at >= requests[i - 1]!.at))).toBe(true)
    expect(requests.every((r) => r.outputTokens >= 1 && r.outputTokens <= r.maxTokens)).toBe(true)
  })
})

describe('simulate', () => {
  it('replays exactly with the same seed', () => {
    const [a, b] = [run(), run()]
    expect(a.status).toEqual(b.status)
    expect(a.latencyMs).toEqual(b.latencyMs)
    expect(a.failedAttempts).toEqual(b.failedAttempts)
  })

  it.each([
    ['agora', agoraPolicy],
    ['random', randomPolicy],
    ['cheapest', cheapestPolicy],
    ['least-loaded', leastLoadedPolicy],
  ])('settles every request of %s within the attempts a plan allows', (name, factory) => {
    const record = run(factory)
    expect(record.status.every((s) => s === Status.served || s === Status.failed)).toBe(true)
    expect(record.attempts.every((n) => n <= config.routing.maxAttemptsPerModel)).toBe(true)
    const served = [...record.status.keys()].filter((i) => record.status[i] === Status.served)
    expect(served.every((i) => record.latencyMs[i]! > 0 && record.paid[i]! > 0)).toBe(true)
    const summary = summarize(name, requests, record)
    expect(summary.served).toBe(served.length)
    expect(summary.served + summary.failed).toBe(3000)
  })
})
