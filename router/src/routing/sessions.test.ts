import { describe, it, expect } from 'vitest'
import { SessionAffinity } from './sessions.ts'
import { testClock } from './testing.ts'

describe('SessionAffinity', () => {
  it('remembers the peer that served a session, and rebinds it', () => {
    const sessions = new SessionAffinity({ maxEntries: 10, ttlMs: 60_000 }, testClock().now)
    expect(sessions.get('s')).toBeUndefined()
    sessions.bind('s', 'p1')
    expect(sessions.get('s')).toBe('p1')
    sessions.bind('s', 'p2')
    expect(sessions.get('s')).toBe('p2')
    expect(sessions.size).toBe(1)
    sessions.forget('s')
    expect(sessions.get('s')).toBeUndefined()
  })

  it('forgets a session idle for the TTL; using it keeps it alive', () => {
    const clock = testClock()
    const sessions = new SessionAffinity({ maxEntries: 10, ttlMs: 60_000 }, clock.now)
    sessions.bind('kept', 'p1')
    sessions.bind('idle', 'p2')
    clock.advance(40_000)
    expect(sessions.get('kept')).toBe('p1')
    clock.advance(40_000)
    expect(sessions.get('kept')).toBe('p1')
    expect(sessions.get('idle')).toBeUndefined()
    expect(sessions.size).toBe(1)
  })

  it('evicts the least recently used session past its bound', () => {
    const sessions = new SessionAffinity({ maxEntries: 2, ttlMs: 60_000 }, testClock().now)
    sessions.bind('a', 'p1')
    sessions.bind('b', 'p2')
    sessions.get('a')
    sessions.bind('c', 'p3')
    expect(sessions.size).toBe(2)
    expect(sessions.get('b')).toBeUndefined()
    expect(sessions.get('a')).toBe('p1')
    expect(sessions.get('c')).toBe('p3')
  })

  it('sweeps expired sessions when binding', () => {
    const clock = testClock()
    const sessions = new SessionAffinity({ maxEntries: 100, ttlMs: 1_000 }, clock.now)
    for (let i = 0; i < 50; i++) sessions.bind(`s${i}`, 'p')
    clock.advance(1_000)
    sessions.bind('fresh', 'p')
    expect(sessions.size).toBe(1)
  })
})
