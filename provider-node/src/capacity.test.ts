import { describe, it, expect } from 'vitest'
import { BusyError } from '@agora/protocol'
import { Capacity } from './capacity.ts'

const never = new AbortController().signal

describe('Capacity', () => {
  it('runs up to maxConcurrency, queues up to maxQueue, and answers busy at once beyond', async () => {
    let changes = 0
    const capacity = new Capacity({ maxConcurrency: 2, maxQueue: 1, queueTimeoutMs: 60_000 }, () => changes++)
    await capacity.acquire(never)
    await capacity.acquire(never)
    let admitted = false
    const queued = capacity.acquire(never).then(() => (admitted = true))
    expect([capacity.running, capacity.waiting, capacity.accepted]).toEqual([2, 1, 3])
    await expect(capacity.acquire(never)).rejects.toBeInstanceOf(BusyError)
    expect(admitted).toBe(false)

    capacity.release()
    await queued
    expect([capacity.running, capacity.waiting]).toEqual([2, 0])
    capacity.release()
    capacity.release()
    expect(capacity.running).toBe(0)
    expect(changes).toBeGreaterThanOrEqual(6)
  })

  it('admits the queue first come, first served', async () => {
    const capacity = new Capacity({ maxConcurrency: 1, maxQueue: 3, queueTimeoutMs: 60_000 })
    await capacity.acquire(never)
    const order: number[] = []
    const waiting = [1, 2, 3].map((n) => capacity.acquire(never).then(() => order.push(n)))
    for (let i = 0; i < 3; i++) capacity.release()
    await Promise.all(waiting)
    expect(order).toEqual([1, 2, 3])
  })

  it('answers busy when the queue does not move in time, and frees the place', async () => {
    const capacity = new Capacity({ maxConcurrency: 1, maxQueue: 1, queueTimeoutMs: 20 })
    await capacity.acquire(never)
    await expect(capacity.acquire(never)).rejects.toBeInstanceOf(BusyError)
    expect(capacity.waiting).toBe(0)
  })

  it('takes a request out of the queue when its signal aborts', async () => {
    const capacity = new Capacity({ maxConcurrency: 1, maxQueue: 1, queueTimeoutMs: 60_000 })
    await capacity.acquire(never)
    const abort = new AbortController()
    const queued = capacity.acquire(abort.signal)
    abort.abort(new Error('the router went away'))
    await expect(queued).rejects.toThrow('the router went away')
    expect(capacity.waiting).toBe(0)
    capacity.release()
    expect(capacity.running).toBe(0)
  })

  it('when closed, answers the queue and every later request busy, and lets running ones finish', async () => {
    const capacity = new Capacity({ maxConcurrency: 1, maxQueue: 2, queueTimeoutMs: 60_000 })
    await capacity.acquire(never)
    const queued = capacity.acquire(never)
    capacity.close()
    await expect(queued).rejects.toBeInstanceOf(BusyError)
    await expect(capacity.acquire(never)).rejects.toBeInstanceOf(BusyError)
    expect(capacity.running).toBe(1)
    capacity.release()
    expect(capacity.running).toBe(0)
  })
})
