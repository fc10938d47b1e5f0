import { describe, it, expect } from 'vitest'
import { RoutingConfig } from './config.ts'

describe('RoutingConfig', () => {
  it('has a default for every field', () => {
    expect(RoutingConfig.parse({})).toMatchObject({
      weights: { price: 2, latency: 1, throughput: 1, success: 4, load: 4 },
      topK: 3,
      explorationShare: 0.05,
      cooldown: { baseMs: 1_000, factor: 2, maxMs: 300_000 },
      sessions: { maxEntries: 100_000, ttlMs: 1_800_000 },
    })
  })

  it('fills in the rest of a nested object given in part', () => {
    const config = RoutingConfig.parse({ weights: { price: 1 }, cooldown: { maxMs: 60_000 } })
    expect(config.weights).toEqual({ price: 1, latency: 1, throughput: 1, success: 4, load: 4 })
    expect(config.cooldown).toMatchObject({ baseMs: 1_000, maxMs: 60_000 })
  })

  it('refuses weights and shares out of range', () => {
    expect(RoutingConfig.safeParse({ weights: { price: -1 } }).success).toBe(false)
    expect(RoutingConfig.safeParse({ explorationShare: 1.5 }).success).toBe(false)
    expect(RoutingConfig.safeParse({ cooldown: { factor: 0.5 } }).success).toBe(false)
  })
})
