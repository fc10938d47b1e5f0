import { describe, it, expect } from 'vitest'
import { RoutingConfig } from './config.ts'
import { Measurements } from './measurements.ts'
import { testClock } from './testing.ts'

const config = RoutingConfig.parse({ halfLifeMs: 60_000 })

describe('Measurements', () => {
  it('averages TTFT, throughput and success per (peer, model)', () => {
    const clock = testClock()
    const measurements = new Measurements(config, clock.now)
    measurements.recordSuccess('p1', 'm', { ttftMs: 200, tokensPerSecond: 50 })
    measurements.recordSuccess('p1', 'm', { ttftMs: 400, tokensPerSecond: 70 })
    measurements.recordFailure('p1', 'm', 'server')
    measurements.recordSuccess('p1', 'other', { ttftMs: 5_000 })
    const stats = measurements.snapshot('p1', 'm')
    expect(stats).toMatchObject({ ttftMs: 300, tokensPerSecond: 60, inFlight: 0, rttMs: undefined })
    expect(stats.successRate).toBeCloseTo(2 / 3, 9)
    expect(stats.samples).toBe(3)
    expect(stats.uptime).toBeCloseTo(2 / 3, 9)
    expect(measurements.snapshot('p1', 'other').ttftMs).toBe(5_000)
  })

  it('decays old outcomes: a recovered provider climbs back', () => {
    const clock = testClock()
    const measurements = new Measurements(config, clock.now)
    for (let i = 0; i < 10; i++) measurements.recordFailure('p1', 'm', 'timeout')
    clock.advance(5 * 60_000)
    for (let i = 0; i < 10; i++) measurements.recordSuccess('p1', 'm')
    // 10 failures five half-lives old weigh 10/32 against 10 fresh successes.
    expect(measurements.snapshot('p1', 'm').successRate).toBeCloseTo(10 / (10 + 10 / 32), 9)
  })

  it('does not count a busy answer against the success rate', () => {
    const measurements = new Measurements(config, testClock().now)
    measurements.recordSuccess('p1', 'm')
    measurements.recordFailure('p1', 'm', 'busy')
    expect(measurements.snapshot('p1', 'm')).toMatchObject({ successRate: 1, samples: 1, uptime: 1 })
  })

  it('ignores figures that cannot be measurements', () => {
    const measurements = new Measurements(config, testClock().now)
    measurements.recordSuccess('p1', 'm', { ttftMs: -1, tokensPerSecond: Number.NaN })
    measurements.recordRtt('p1', Number.POSITIVE_INFINITY)
    expect(measurements.snapshot('p1', 'm')).toMatchObject({ ttftMs: undefined, tokensPerSecond: undefined, rttMs: undefined, successRate: 1 })
  })

  it('keeps round trips per peer, shared by its models', () => {
    const measurements = new Measurements(config, testClock().now)
    measurements.recordRtt('p1', 10)
    measurements.recordRtt('p1', 30)
    expect(measurements.snapshot('p1', 'a').rttMs).toBe(20)
    expect(measurements.snapshot('p1', 'b').rttMs).toBe(20)
    expect(measurements.snapshot('p2', 'a').rttMs).toBeUndefined()
  })

  it('counts requests in flight, never below zero', () => {
    const measurements = new Measurements(config, testClock().now)
    measurements.begin('p1', 'm')
    measurements.begin('p1', 'm')
    measurements.begin('p1', 'x')
    expect(measurements.inFlight('p1', 'm')).toBe(2)
    measurements.end('p1', 'm')
    measurements.end('p1', 'm')
    measurements.end('p1', 'm')
    expect(measurements.snapshot('p1', 'm').inFlight).toBe(0)
    expect(measurements.inFlight('p1', 'x')).toBe(1)
    expect(measurements.inFlight('nobody', 'm')).toBe(0)
  })

  it('prunes pairs idle for the uptime window, but not ones in flight or recently pinged peers', () => {
    const clock = testClock()
    const measurements = new Measurements(config, clock.now)
    measurements.recordSuccess('idle', 'm')
    measurements.recordSuccess('busy', 'm')
    measurements.begin('busy', 'm')
    measurements.recordSuccess('pinged', 'm')
    clock.advance(config.uptime.windowMs + 1)
    measurements.recordRtt('pinged', 12)
    expect(measurements.prune()).toBe(3 - 1)
    expect(measurements.snapshot('idle', 'm').successRate).toBeUndefined()
    expect(measurements.snapshot('busy', 'm').inFlight).toBe(1)
    expect(measurements.snapshot('pinged', 'm')).toMatchObject({ successRate: undefined, rttMs: 12 })
  })
})
