import type { SessionsConfig } from './config.ts'

interface Binding {
  peerId: string
  usedAt: number
}

/**
 * Sticky sessions: which provider peer served a session last, so its next request can go
 * to the same one (and hit its prompt cache). Bounded: the least recently used binding is
 * evicted past `maxEntries`, and a binding idle for `ttlMs` is forgotten.
 */
export class SessionAffinity {
  readonly #config: SessionsConfig
  readonly #now: () => number
  /** Insertion order is recency order: a used binding is moved to the end. */
  readonly #bindings = new Map<string, Binding>()

  constructor(config: SessionsConfig, now: () => number = Date.now) {
    this.#config = config
    this.#now = now
  }

  /** The peer bound to `sessionId`, if the binding is still live; using it refreshes it. */
  get(sessionId: string): string | undefined {
    const binding = this.#bindings.get(sessionId)
    if (!binding) return undefined
    const now = this.#now()
    this.#bindings.delete(sessionId)
    if (now - binding.usedAt >= this.#config.ttlMs) return undefined
    this.#bindings.set(sessionId, { peerId: binding.peerId, usedAt: now })
    return binding.peerId
  }

  /** Binds `sessionId` to the peer that just served it. */
  bind(sessionId: string, peerId: string): void {
    const now = this.#now()
    this.#bindings.delete(sessionId)
    this.#bindings.set(sessionId, { peerId, usedAt: now })
    // The oldest bindings come first: drop the expired ones, then any beyond the bound.
    for (const [id, binding] of this.#bindings) {
      if (this.#bindings.size <= this.#config.maxEntries && now - binding.usedAt < this.#config.ttlMs) break
      this.#bindings.delete(id)
    }
  }

  forget(sessionId: string): void {
    this.#bindings.delete(sessionId)
  }

  get size(): number {
    return this.#bindings.size
  }
}
