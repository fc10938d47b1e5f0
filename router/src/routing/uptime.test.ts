import { describe, it, expect } from 'vitest'
import { testClock } from './testing.ts'
import { UptimeWindow } from './uptime.ts'

describe('UptimeWindow', () => {
  const minute = 60_000
  it('is the success ratio over the last hour of one-minute buckets', () => {
    const clock = testClock(0)
    const window = new UptimeWindow({ windowMs: 60 * minute, bucketMs: minute })
    expect(window.ratio(clock.now())).toBeUndefined()
    window.record(false, clock.now())
    clock.advance(30 * minute)
    window.record(true, clock.now())
    window.record(true, clock.now())
    window.record(true, clock.now())
    expect(window.ratio(clock.now())).toBe(3 / 4)
    // The failure's bucket leaves the window after an hour.
    clock.advance(30 * minute)
    expect(window.ratio(clock.now())).toBe(1)
    clock.advance(30 * minute)
    expect(window.ratio(clock.now())).toBeUndefined()
  })

  it('reuses a ring slot for a new bucket without mixing in the old counts', () => {
    const window = new UptimeWindow({ windowMs: 3 * minute, bucketMs: minute })
    window.record(false, 0)
    window.record(true, 3 * minute)
    expect(window.ratio(3 * minute)).toBe(1)
    expect(window.lastRecordedAt).toBe(3 * minute)
  })
})
