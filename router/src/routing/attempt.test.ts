import { describe, it, expect } from 'vitest'
import { DeadlineError, InvalidRequestError, ProviderError } from '@agora/protocol'
import { AttemptTracker } from './attempt.ts'
import type { Attempt } from './plan.ts'
import { candidate, testRouting } from './testing.ts'

function setup() {
  const ctx = testRouting([])
  const attempt: Attempt = { candidate: candidate('p1'), model: 'm', reason: 'ranked' }
  return { ctx, attempt }
}

describe('AttemptTracker', () => {
  it('records a stream’s TTFT and throughput, binds the session and counts it in flight meanwhile', () => {
    const { ctx, attempt } = setup()
    const tracker = new AttemptTracker(ctx, attempt, { streamed: true, sessionId: 's1' })
    expect(ctx.measurements.inFlight('p1', 'm')).toBe(1)
    ctx.clock.advance(250)
    tracker.firstByte()
    expect(ctx.sessions.get('s1')).toBe('p1')
    ctx.clock.advance(2_000)
    tracker.succeed({ completionTokens: 101 })
    expect(ctx.measurements.snapshot('p1', 'm')).toMatchObject({ ttftMs: 250, tokensPerSecond: 50, successRate: 1, inFlight: 0 })
  })

  it('records a plain response’s throughput over its whole time, and no TTFT', () => {
    const { ctx, attempt } = setup()
    const tracker = new AttemptTracker(ctx, attempt, { streamed: false })
    ctx.clock.advance(4_000)
    tracker.succeed({ completionTokens: 200 })
    expect(ctx.measurements.snapshot('p1', 'm')).toMatchObject({ ttftMs: undefined, tokensPerSecond: 50, successRate: 1 })
  })

  it('closes the provider’s cooldown at the first byte: the half-open trial succeeded', () => {
    const { ctx, attempt } = setup()
    ctx.cooldown.recordFailure('p1', 'm', 'server')
    ctx.clock.advance(1_000)
    const tracker = new AttemptTracker(ctx, attempt, { streamed: true })
    expect(ctx.cooldown.available('p1', 'm')).toBe(false)
    tracker.firstByte()
    expect(ctx.cooldown.state('p1', 'm')).toBe('closed')
  })

  it('blames the provider for its failure and allows a retry before the first byte only', () => {
    const { ctx, attempt } = setup()
    const early = new AttemptTracker(ctx, attempt, { streamed: true })
    expect(early.fail(new ProviderError('failed', { cause: new Error('reset') }))).toEqual({ kind: 'connection', retry: true })
    expect(ctx.cooldown.state('p1', 'm')).toBe('open')
    expect(ctx.measurements.snapshot('p1', 'm')).toMatchObject({ successRate: 0, inFlight: 0 })

    ctx.clock.advance(1_000)
    const late = new AttemptTracker(ctx, attempt, { streamed: true })
    late.firstByte()
    expect(late.fail(new DeadlineError())).toEqual({ kind: 'timeout', retry: false })
    expect(ctx.cooldown.state('p1', 'm')).toBe('open')
  })

  it('neither blames nor retries the request’s own 4xx, and frees the trial slot', () => {
    const { ctx, attempt } = setup()
    ctx.cooldown.recordFailure('p1', 'm', 'server')
    ctx.clock.advance(1_000)
    const tracker = new AttemptTracker(ctx, attempt, { streamed: false })
    expect(tracker.fail(new InvalidRequestError('bad'))).toEqual({ kind: undefined, retry: false })
    expect(ctx.cooldown.available('p1', 'm')).toBe(true)
    expect(ctx.measurements.snapshot('p1', 'm').samples).toBe(0)
  })

  it('settles once: later calls and abandon are ignored', () => {
    const { ctx, attempt } = setup()
    const tracker = new AttemptTracker(ctx, attempt, { streamed: true })
    ctx.measurements.begin('p1', 'm')
    tracker.abandon()
    tracker.abandon()
    expect(tracker.fail(new DeadlineError())).toEqual({ kind: undefined, retry: false })
    tracker.succeed({ completionTokens: 5 })
    expect(ctx.measurements.snapshot('p1', 'm')).toMatchObject({ inFlight: 1, samples: 0 })
    expect(ctx.cooldown.state('p1', 'm')).toBe('closed')
  })
})
