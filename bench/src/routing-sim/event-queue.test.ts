import { describe, expect, it } from 'vitest'
import { EventQueue } from './event-queue.ts'

describe('EventQueue', () => {
  it('hands out events earliest first, and in scheduling order at equal times', () => {
    const queue = new EventQueue()
    const ran: string[] = []
    for (const [at, name] of [[5, 'e'], [1, 'a'], [3, 'c1'], [3, 'c2'], [2, 'b'], [3, 'c3'], [4, 'd']] as const) {
      queue.schedule(at, () => ran.push(name))
    }
    for (let event = queue.next(); event; event = queue.next()) event.run()
    expect(ran).toEqual(['a', 'b', 'c1', 'c2', 'c3', 'd', 'e'])
    expect(queue.size).toBe(0)
  })
})
