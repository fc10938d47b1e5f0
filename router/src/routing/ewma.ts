/**
 * An exponentially weighted moving average over time: each sample's weight halves every
 * `halfLifeMs`, whenever it was taken. Samples at irregular times therefore count by their
 * age, not by how many came after them, and a burst of samples counts in full.
 *
 * The average is the weighted sum over the weight (bias-corrected, so the first sample is
 * the average, not a fraction of it). Decay leaves the average unchanged but shrinks the
 * weight, which reads as "how many recent samples back this figure": a provider unseen for
 * a while keeps its average but loses its confidence.
 */
export class DecayingAverage {
  readonly halfLifeMs: number
  #sum = 0
  #weight = 0
  #at = 0

  constructor(halfLifeMs: number) {
    if (!(halfLifeMs > 0)) throw new RangeError('halfLifeMs must be positive')
    this.halfLifeMs = halfLifeMs
  }

  /** Adds a sample taken at `now` (epoch ms). */
  add(value: number, now: number): void {
    this.#decayTo(now)
    this.#sum += value
    this.#weight += 1
  }

  /** The average, or undefined before the first sample. */
  get value(): number | undefined {
    return this.#weight > 0 ? this.#sum / this.#weight : undefined
  }

  /** The decayed count of samples at `now`: 1 for a sample just taken, 0.5 for one a half-life old. */
  weight(now: number): number {
    return this.#weight * decay(now - this.#at, this.halfLifeMs)
  }

  #decayTo(now: number): void {
    // A clock that steps back must not inflate old samples.
    if (now <= this.#at) return
    const factor = decay(now - this.#at, this.halfLifeMs)
    this.#sum *= factor
    this.#weight *= factor
    this.#at = now
  }
}

function decay(elapsedMs: number, halfLifeMs: number): number {
  return elapsedMs > 0 ? 2 ** (-elapsedMs / halfLifeMs) : 1
}
