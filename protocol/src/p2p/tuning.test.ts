import { disable, enable } from '@libp2p/logger'
import { afterEach, describe, expect, it } from 'vitest'
import { quietLogger } from './tuning.ts'

describe('quietLogger', () => {
  afterEach(() => disable())

  it('gives silent loggers whose scopes stay their own', () => {
    const log = quietLogger().forComponent('libp2p:yamux')
    const a = log.newScope('outbound:1')
    const b = log.newScope('outbound:2')
    expect(log.enabled).toBe(false)
    expect(a).not.toBe(b)
    expect(a.newScope('mss').enabled).toBe(false)
  })

  it('gives real loggers to the components DEBUG enables, including scopes below a silent one', () => {
    enable('libp2p:tcp*')
    const loggers = quietLogger()
    expect(loggers.forComponent('libp2p:tcp').enabled).toBe(true)
    expect(loggers.forComponent('libp2p:yamux').enabled).toBe(false)
    enable('libp2p:yamux:outbound:7')
    expect(loggers.forComponent('libp2p:yamux').newScope('outbound:7').enabled).toBe(true)
  })
})
