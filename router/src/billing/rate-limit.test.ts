import { afterAll, beforeAll, describe, it, expect } from 'vitest'
import { Redis } from 'ioredis'
import { RateLimitError } from '@agora/protocol'
import { KeyRateLimiter } from './rate-limit.ts'
import { connectTestRedis } from '../../../test/fixtures/redis.ts'

let redis: Redis | undefined

beforeAll(async () => {
  redis = await connectTestRedis()
})

afterAll(async () => {
  redis?.disconnect()
})

const unique = () => `key-${Math.random().toString(36).slice(2)}`

for (const backend of ['memory', 'redis'] as const) {
  describe(`KeyRateLimiter (${backend})`, () => {
    const limiter = () => {
      if (backend === 'redis' && !redis) return undefined
      return new KeyRateLimiter({ redis: backend === 'redis' ? redis : undefined })
    }

    it('admits rpm requests per minute, then answers 429 with Retry-After and x-ratelimit headers', async (ctx) => {
      const rl = limiter()
      if (!rl) return ctx.skip()
      const key = unique()
      const headers = await rl.admit(key, { rpm: 3, tpm: null })
      expect(headers).toMatchObject({ 'x-ratelimit-limit-requests': '3', 'x-ratelimit-remaining-requests': '2' })
      await rl.admit(key, { rpm: 3, tpm: null })
      await rl.admit(key, { rpm: 3, tpm: null })
      const error = await rl.admit(key, { rpm: 3, tpm: null }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(RateLimitError)
      const limited = error as RateLimitError
      expect(limited.status).toBe(429)
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1)
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60)
      expect(limited.headers['x-ratelimit-remaining-requests']).toBe('0')
      // Another key has its own window.
      await expect(rl.admit(unique(), { rpm: 3, tpm: null })).resolves.toBeDefined()
    })

    it('refuses requests once the minute’s tokens are spent', async (ctx) => {
      const rl = limiter()
      if (!rl) return ctx.skip()
      const key = unique()
      const limits = { rpm: null, tpm: 1_000 }
      await rl.admit(key, limits)
      await rl.recordTokens(key, limits, 600)
      expect((await rl.admit(key, limits))['x-ratelimit-remaining-tokens']).toBe('400')
      await rl.recordTokens(key, limits, 600)
      const error = (await rl.admit(key, limits).catch((e: unknown) => e)) as RateLimitError
      expect(error.code).toBe('tokens_rate_limit_exceeded')
    })

    it('lets everything through when a key has no limits', async (ctx) => {
      const rl = limiter()
      if (!rl) return ctx.skip()
      for (let i = 0; i < 50; i++) expect(await rl.admit('unlimited', { rpm: null, tpm: null })).toEqual({})
    })
  })
}

describe('KeyRateLimiter shared through Redis', () => {
  it('counts one window across router replicas', async (ctx) => {
    if (!redis) return ctx.skip()
    const other = redis.duplicate()
    await other.ping()
    try {
      const a = new KeyRateLimiter({ redis })
      const b = new KeyRateLimiter({ redis: other })
      const key = unique()
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).admit(key, { rpm: 4, tpm: null })))
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(4)
    } finally {
      other.disconnect()
    }
  })
})
