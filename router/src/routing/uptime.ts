import type { UptimeConfig } from './config.ts'

/**
 * Success ratio over a sliding window, counted in fixed buckets (an hour of one-minute
 * buckets by default). Unlike the decaying averages it forgets exactly: an outcome counts
 * in full until its bucket leaves the window.
 */
export class UptimeWindow {
  readonly #bucketMs: number
  /** Which bucket (epoch ms / bucketMs) each ring slot holds; stale slots are skipped. */
  readonly #slots: number[]
  readonly #ok: number[]
  readonly #failed: number[]
  #last = -Infinity

  constructor({ windowMs, bucketMs }: UptimeConfig) {
    const size = Math.max(1, Math.ceil(windowMs / bucketMs))
    this.#bucketMs = bucketMs
    this.#slots = new Array<number>(size).fill(-1)
    this.#ok = new Array<number>(size).fill(0)
    this.#failed = new Array<number>(size).fill(0)
  }

  record(ok: boolean, now: number): void {
    const bucket = Math.floor(now / this.#bucketMs)
    const slot = bucket % this.#slots.length
    if (this.#slots[slot] !== bucket) {
      this.#slots[slot] = bucket
      this.#ok[slot] = 0
      this.#failed[slot] = 0
    }
    if (ok) this.#ok[slot]! += 1
    else this.#failed[slot]! += 1
    this.#last = Math.max(this.#last, now)
  }

  /** Successes over outcomes in the window ending at `now`, or undefined if there were none. */
  ratio(now: number): number | undefined {
    const current = Math.floor(now / this.#bucketMs)
    let ok = 0
    let total = 0
    for (let slot = 0; slot < this.#slots.length; slot++) {
      const bucket = this.#slots[slot]!
      if (bucket > current - this.#slots.length && bucket <= current) {
        ok += this.#ok[slot]!
        total += this.#ok[slot]! + this.#failed[slot]!
      }
    }
    return total > 0 ? ok / total : undefined
  }

  /** When the latest outcome was recorded (epoch ms), or -Infinity if never. */
  get lastRecordedAt(): number {
    return this.#last
  }
}
