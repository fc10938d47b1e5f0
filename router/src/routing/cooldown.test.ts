import { describe, it, expect } from 'vitest'
import { RoutingConfig } from './config.ts'
import { Cooldown } from './cooldown.ts'
import { testClock } from './testing.ts'

const config = RoutingConfig.parse({ cooldown: { baseMs: 1_000, factor: 2, maxMs: 10_000, probeTimeoutMs: 30_000 } }).cooldown

function setup() {
  const clock = testClock()
  return { clock, cooldown: new Cooldown(config, clock.now) }
}

describe('Cooldown', () => {
  it('takes requests until a failure, then none for the base cooldown', () => {
    const { clock, cooldown } = setup()
    expect(cooldown.state('p', 'm')).toBe('closed')
    expect(cooldown.available('p', 'm')).toBe(true)
    expect(cooldown.retryAt('p', 'm')).toBe(clock.now())
    cooldown.recordFailure('p', 'm', 'server')
    expect(cooldown.state('p', 'm')).toBe('open')
    expect(cooldown.available('p', 'm')).toBe(false)
    expect(cooldown.retryAt('p', 'm')).toBe(clock.now() + 1_000)
    clock.advance(999)
    expect(cooldown.available('p', 'm')).toBe(false)
    clock.advance(1)
    expect(cooldown.state('p', 'm')).toBe('half-open')
    expect(cooldown.available('p', 'm')).toBe(true)
  })

  it('lets one trial through when half-open: success closes, failure re-opens for longer', () => {
    const { clock, cooldown } = setup()
    cooldown.recordFailure('p', 'm', 'timeout')
    clock.advance(1_000)
    cooldown.begin('p', 'm')
    // The trial is out: nobody else goes until it answers.
    expect(cooldown.available('p', 'm')).toBe(false)
    expect(cooldown.state('p', 'm')).toBe('half-open')
    cooldown.recordFailure('p', 'm', 'timeout')
    expect(cooldown.retryAt('p', 'm')).toBe(clock.now() + 2_000)
    clock.advance(2_000)
    cooldown.begin('p', 'm')
    cooldown.recordSuccess('p', 'm')
    expect(cooldown.state('p', 'm')).toBe('closed')
    // A fresh failure starts again from the base.
    cooldown.recordFailure('p', 'm', 'server')
    expect(cooldown.retryAt('p', 'm')).toBe(clock.now() + 1_000)
  })

  it('backs off exponentially up to the maximum', () => {
    const { clock, cooldown } = setup()
    const backoffs: number[] = []
    for (let i = 0; i < 7; i++) {
      cooldown.recordFailure('p', 'm', 'malformed')
      const wait = cooldown.retryAt('p', 'm') - clock.now()
      backoffs.push(wait)
      clock.advance(wait)
      cooldown.begin('p', 'm')
    }
    expect(backoffs).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000])
  })

  it('counts a burst of failures of requests already in flight once', () => {
    const { clock, cooldown } = setup()
    for (let i = 0; i < 10; i++) cooldown.recordFailure('p', 'm', 'server')
    expect(cooldown.retryAt('p', 'm')).toBe(clock.now() + 1_000)
  })

  it('frees the trial slot when the trial ends without a verdict, or outlives the probe timeout', () => {
    const { clock, cooldown } = setup()
    cooldown.recordFailure('p', 'm', 'server')
    clock.advance(1_000)
    cooldown.begin('p', 'm')
    cooldown.release('p', 'm')
    expect(cooldown.available('p', 'm')).toBe(true)
    cooldown.begin('p', 'm')
    expect(cooldown.retryAt('p', 'm')).toBe(clock.now() + 30_000)
    clock.advance(30_000)
    expect(cooldown.available('p', 'm')).toBe(true)
  })

  it('cools down the whole peer for a connection failure, only the model otherwise', () => {
    const { cooldown } = setup()
    cooldown.recordFailure('p', 'a', 'server')
    expect(cooldown.available('p', 'a')).toBe(false)
    expect(cooldown.available('p', 'b')).toBe(true)
    cooldown.recordFailure('q', 'a', 'connection')
    expect(cooldown.available('q', 'a')).toBe(false)
    expect(cooldown.available('q', 'b')).toBe(false)
    // A success on any model proves the connection: it closes the peer's breaker too.
    cooldown.recordSuccess('q', 'b')
    expect(cooldown.available('q', 'a')).toBe(true)
  })

  it('reports the later of the peer’s and the model’s recovery', () => {
    const { clock, cooldown } = setup()
    cooldown.recordFailure('p', 'm', 'server')
    clock.advance(1_000)
    cooldown.recordFailure('p', 'm', 'server')
    cooldown.recordFailure('p', 'm', 'connection')
    expect(cooldown.retryAt('p', 'm')).toBe(clock.now() + 2_000)
  })
})
