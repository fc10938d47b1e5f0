interface ScheduledEvent {
  at: number
  seq: number
  run: () => void
}

/**
 * The pending events of a discrete-event simulation, earliest first; events at the same
 * time run in the order they were scheduled, so a run replays exactly.
 */
export class EventQueue {
  readonly #heap: ScheduledEvent[] = []
  #seq = 0

  schedule(at: number, run: () => void): void {
    const heap = this.#heap
    heap.push({ at, seq: this.#seq++, run })
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(heap[i]!, heap[parent]!)) break
      ;[heap[i], heap[parent]] = [heap[parent]!, heap[i]!]
      i = parent
    }
  }

  /** Removes and returns the earliest event, or undefined when none is left. */
  next(): { at: number; run: () => void } | undefined {
    const heap = this.#heap
    const first = heap[0]
    const last = heap.pop()
    if (!first || !last || first === last) return first
    heap[0] = last
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      const right = left + 1
      let least = i
      if (left < heap.length && before(heap[left]!, heap[least]!)) least = left
      if (right < heap.length && before(heap[right]!, heap[least]!)) least = right
      if (least === i) return first
      ;[heap[i], heap[least]] = [heap[least]!, heap[i]!]
      i = least
    }
  }

  get size(): number {
    return this.#heap.length
  }
}

function before(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}
