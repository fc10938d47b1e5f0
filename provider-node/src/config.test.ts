import { describe, it, expect } from 'vitest'
import { ConfigError, loadProviderConfig } from './config.ts'

const ROUTER = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWC5xLfxZx9EEnGKg2jnmXz6TrrqRnBTTFsFCqzTEw1Gdx'
const minimal = { bootstrap: [ROUTER], engine: { kind: 'dev' } }

function errorOf(file: unknown, env: Record<string, string> = {}): string {
  try {
    loadProviderConfig(file, env)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as ConfigError).message
  }
  throw new Error('the config was accepted')
}

describe('loadProviderConfig', () => {
  it('fills the documented defaults', () => {
    const config = loadProviderConfig(minimal)
    expect(config.defaults).toEqual({ contextLength: 8192, pricing: { inputPerMTok: 100_000n, outputPerMTok: 300_000n }, maxConcurrency: 16, maxQueue: 4 })
    expect(config).toMatchObject({ name: 'provider', listen: ['/ip4/127.0.0.1/tcp/0'], announce: [], queueTimeoutMs: 10_000, drainTimeoutMs: 60_000, ops: { port: null, host: '127.0.0.1' }, logContent: false })
    expect(config.reconnect).toEqual({ minDelayMs: 1_000, maxDelayMs: 30_000 })
  })

  it('names every bad field, a typo included', () => {
    const message = errorOf({
      ...minimal,
      bootstrap: ['/ip4/127.0.0.1/tcp/4001'],
      models: [{ id: 'm', pricing: { inputPerMTok: -5, outputPerMTok: '1.5' }, maxConcurency: 4 }],
      ops: { port: 70_000 },
    })
    expect(message).toContain('bootstrap.0: must be a router multiaddr ending in /p2p/<peer id>')
    expect(message).toMatch(/^models\.0\.pricing\.inputPerMTok: /m)
    expect(message).toMatch(/^models\.0\.pricing\.outputPerMTok: /m)
    expect(message).toContain('models.0.maxConcurency: unknown field')
    expect(message).toMatch(/^ops\.port: /m)
  })

  it('names the engine field that is wrong for its kind', () => {
    expect(errorOf({ ...minimal, engine: { kind: 'openai', baseUrl: 'not a url' } })).toMatch(/^engine\.baseUrl: /m)
    expect(errorOf({ ...minimal, engine: { kind: 'dev', baseUrl: 'http://x' } })).toContain('engine.baseUrl: unknown field')
  })

  it('ignores comment keys at any depth', () => {
    const config = loadProviderConfig({ '//': ['a', 'b'], ...minimal, '// models': 'm', models: [{ '//': 'the chat one', id: 'm', maxQueue: 0 }] })
    expect(config.models).toEqual([{ id: 'm', maxQueue: 0 }])
  })

  it('takes the documented environment overrides', () => {
    const config = loadProviderConfig(
      { ...minimal, engine: { kind: 'openai', baseUrl: 'http://127.0.0.1:8000/v1' }, ops: { host: '0.0.0.0' } },
      {
        PROVIDER_NAME: 'from-env',
        PROVIDER_BOOTSTRAP: `${ROUTER}, ${ROUTER}`,
        PROVIDER_LISTEN: '/ip4/0.0.0.0/tcp/4002',
        PROVIDER_ANNOUNCE: '/dns4/gpu.example.org/tcp/4002',
        PROVIDER_ENGINE_API_KEY: 'secret',
        PROVIDER_OPS_PORT: '9464',
        PROVIDER_LOG_CONTENT: 'true',
        LOG_LEVEL: 'debug',
      },
    )
    expect(config).toMatchObject({
      name: 'from-env',
      bootstrap: [ROUTER, ROUTER],
      listen: ['/ip4/0.0.0.0/tcp/4002'],
      announce: ['/dns4/gpu.example.org/tcp/4002'],
      engine: { kind: 'openai', apiKey: 'secret' },
      ops: { port: 9464, host: '0.0.0.0' },
      logContent: true,
      logLevel: 'debug',
    })
    expect(errorOf(minimal, { PROVIDER_OPS_PORT: 'nine' })).toMatch(/^ops\.port: /m)
  })
})
