import { BusyError } from '@agora/protocol'

export interface CapacityLimits {
  /** Requests that run at once. */
  maxConcurrency: number
  /** Requests that may wait for a running one to finish; beyond them the answer is busy at once. */
  maxQueue: number
  /** The longest a request waits in the queue before it is answered busy (so the router tries elsewhere). */
  queueTimeoutMs: number
}

interface Waiter {
  admit(): void
  refuse(error: unknown): void
}

/**
 * Admission for one model: up to `maxConcurrency` requests run, up to `maxQueue` more wait
 * in line (first come, first served) for at most `queueTimeoutMs`, and any other request is
 * refused with a `BusyError` at once. `onChange` hears every change of the counts, so the
 * offer can announce the free capacity.
 * @example
 * const capacity = new Capacity({ maxConcurrency: 2, maxQueue: 1, queueTimeoutMs: 10_000 }, announcer.changed)
 * await capacity.acquire(signal) // throws BusyError when full
 * try { … } finally { capacity.release() }
 */
export class Capacity {
  readonly limits: CapacityLimits
  #running = 0
  readonly #queue: Waiter[] = []
  #closed = false
  readonly #onChange: () => void

  constructor(limits: CapacityLimits, onChange: () => void = () => {}) {
    this.limits = limits
    this.#onChange = onChange
  }

  /** Requests running now. */
  get running(): number {
    return this.#running
  }

  /** Requests waiting in the queue now. */
  get waiting(): number {
    return this.#queue.length
  }

  /** Requests this model takes at once, running or queued: what the offer announces as `maxConcurrency`. */
  get accepted(): number {
    return this.limits.maxConcurrency + this.limits.maxQueue
  }

  /**
   * Resolves once the request may run; then call `release()` exactly once. Rejects with a
   * `BusyError` when the queue is full, the wait outlasts `queueTimeoutMs` or admission is
   * closed, and with the signal's reason when `signal` aborts while waiting.
   */
  acquire(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason)
    if (this.#closed) return Promise.reject(new BusyError('The provider is shutting down'))
    if (this.#running < this.limits.maxConcurrency) {
      this.#running++
      this.#onChange()
      return Promise.resolve()
    }
    if (this.#queue.length >= this.limits.maxQueue) return Promise.reject(new BusyError())
    return new Promise<void>((resolve, reject) => {
      const leave = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        const index = this.#queue.indexOf(waiter)
        if (index >= 0) this.#queue.splice(index, 1)
      }
      const waiter: Waiter = {
        admit: () => {
          leave()
          resolve()
        },
        refuse: (error) => {
          leave()
          reject(error)
          this.#onChange()
        },
      }
      const onAbort = () => waiter.refuse(signal.reason)
      const timer = setTimeout(() => waiter.refuse(new BusyError('The provider is at capacity and its queue did not move in time')), this.limits.queueTimeoutMs)
      signal.addEventListener('abort', onAbort, { once: true })
      this.#queue.push(waiter)
      this.#onChange()
    })
  }

  /** A running request finished: its slot goes to the first one waiting. */
  release(): void {
    const next = this.#queue[0]
    if (next) next.admit()
    else this.#running = Math.max(0, this.#running - 1)
    this.#onChange()
  }

  /** Stops admitting (the node is draining): queued requests and every later one are answered busy. */
  close(): void {
    this.#closed = true
    for (const waiter of [...this.#queue]) waiter.refuse(new BusyError('The provider is shutting down'))
  }
}
