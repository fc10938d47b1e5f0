import { describe, it, expect } from 'vitest'
import { DecayingAverage } from './ewma.ts'

const HALF_LIFE = 60_000

describe('DecayingAverage', () => {
  it('has no value before the first sample, and the first sample as its value after', () => {
    const average = new DecayingAverage(HALF_LIFE)
    expect(average.value).toBeUndefined()
    expect(average.weight(0)).toBe(0)
    average.add(250, 1_000)
    expect(average.value).toBe(250)
    expect(average.weight(1_000)).toBe(1)
  })

  it('weighs samples taken together equally', () => {
    const average = new DecayingAverage(HALF_LIFE)
    for (const value of [100, 200, 300]) average.add(value, 5_000)
    expect(average.value).toBe(200)
    expect(average.weight(5_000)).toBe(3)
  })

  it('halves an old sample’s weight every half-life', () => {
    const average = new DecayingAverage(HALF_LIFE)
    average.add(100, 0)
    average.add(400, HALF_LIFE)
    // weights 0.5 and 1: (0.5·100 + 400) / 1.5
    expect(average.value).toBeCloseTo(300, 9)
    average.add(400, 3 * HALF_LIFE)
    // weights 0.125, 0.25, 1
    expect(average.value).toBeCloseTo((0.125 * 100 + 0.25 * 400 + 400) / 1.375, 9)
  })

  it('converges to a new level at the rate the half-life sets', () => {
    const average = new DecayingAverage(HALF_LIFE)
    for (let t = 0; t < 100 * HALF_LIFE; t += HALF_LIFE / 10) average.add(1_000, t)
    const switchAt = 100 * HALF_LIFE
    for (let t = switchAt; t <= switchAt + HALF_LIFE; t += HALF_LIFE / 10) average.add(0, t)
    // One half-life of samples at the new level: about half the old weight is left.
    expect(average.value!).toBeGreaterThan(400)
    expect(average.value!).toBeLessThan(520)
  })

  it('keeps its value but loses confidence while idle', () => {
    const average = new DecayingAverage(HALF_LIFE)
    for (let i = 0; i < 8; i++) average.add(42, 0)
    expect(average.weight(2 * HALF_LIFE)).toBeCloseTo(2, 9)
    expect(average.value).toBe(42)
  })

  it('does not inflate old samples when the clock steps back', () => {
    const average = new DecayingAverage(HALF_LIFE)
    average.add(100, 10_000)
    average.add(300, 5_000)
    expect(average.value).toBe(200)
    expect(average.weight(5_000)).toBe(2)
  })

  it('rejects a half-life that is not positive', () => {
    expect(() => new DecayingAverage(0)).toThrow(RangeError)
  })
})
