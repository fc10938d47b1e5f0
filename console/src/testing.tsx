import { render } from '@solidjs/testing-library'
import { vi } from 'vitest'
import type { RouterApi } from './api/client.ts'
import { ApiError } from './api/errors.ts'
import type { Account, ApiKey, Generation, Settings } from './api/schemas.ts'
import { App } from './app.tsx'

/** Test support for the component tests: a stand-in for the router behind `RouterApi`, and the app rendered at a path. */

export const ADDRESS = '0x52908400098527886e0f7030069857d2e4169ee7'

export const account = (balance = '12500000'): Account => ({
  id: 'acc-1',
  address: ADDRESS,
  balance_micro_usd: balance,
  created_at: '2026-11-01T00:00:00.000Z',
  credits: { deposited_micro_usd: '0', used_micro_usd: '7500000', adjusted_micro_usd: '20000000', held_micro_usd: '0', balance_micro_usd: balance },
})

export const apiKey = (overrides: Partial<ApiKey> = {}): ApiKey => ({
  id: '11111111-1111-4111-8111-111111111111',
  name: 'laptop',
  prefix: 'sk-agora-AbCdEf',
  spend_limit_micro_usd: null,
  spend_reset: 'never',
  rpm_limit: null,
  tpm_limit: null,
  allowed_models: null,
  expires_at: null,
  revoked_at: null,
  created_at: '2026-11-20T10:00:00.000Z',
  ...overrides,
})

export const generation = (overrides: Partial<Generation> = {}): Generation => ({
  id: 'gen-1',
  key_id: '11111111-1111-4111-8111-111111111111',
  model: 'dev/chat',
  provider: '12D3KooWDQHB78uEzmfg7dP5XfroNqUipiyd8G2s8vegBxrEr1FG',
  status: 'completed',
  finish_reason: 'stop',
  prompt_tokens: 3,
  completion_tokens: 16,
  cost_micro_usd: '6',
  time_to_first_token_ms: 40,
  duration_ms: 227,
  settlement_batch_id: null,
  created_at: '2026-11-25T11:28:47.174Z',
  ...overrides,
})

export const settings = (overrides: Partial<Settings> = {}): Settings => ({
  provider: { sort: null, max_price: { prompt: null, completion: null }, ignore: [], quantizations: null, allow_fallbacks: true },
  allowed_models: null,
  low_balance_threshold_micro_usd: null,
  updated_at: null,
  ...overrides,
})

/** A stand-in router: a signed-in account with a little history; any method can be replaced. */
export function standInApi(overrides: Partial<RouterApi> = {}): RouterApi {
  const api: RouterApi = {
    nonce: vi.fn(async () => ({ nonce: 'abcdefgh12345678', expires_at: '2026-11-25T12:00:00.000Z', chain_id: 31337, statement: 'Sign in to the Agora console.' })),
    verify: vi.fn(async () => ({ address: ADDRESS, account_id: 'acc-1', expires_at: '2026-11-26T00:00:00.000Z' })),
    session: vi.fn(async () => ({ address: ADDRESS, account_id: 'acc-1', expires_at: '2026-11-26T00:00:00.000Z' })),
    logout: vi.fn(async () => {}),
    account: vi.fn(async () => account()),
    journal: vi.fn(async () => []),
    keys: vi.fn(async () => [apiKey()]),
    createKey: vi.fn(async (_address, body) => ({ ...apiKey({ id: '22222222-2222-4222-8222-222222222222', name: body.name, prefix: 'sk-agora-XyZ123' }), secret: 'sk-agora-XyZ123thisIsTheOnlyTimeYouSeeIt000' })),
    updateKey: vi.fn(async (_address, id, body) => apiKey({ id, ...(body as Partial<ApiKey>) })),
    revokeKey: vi.fn(async (_address, id) => apiKey({ id, revoked_at: '2026-11-25T12:00:00.000Z' })),
    usage: vi.fn(async () => []),
    generations: vi.fn(async () => []),
    usageCsvUrl: (address, filters = {}) => `/api/accounts/${address}/usage.csv?${new URLSearchParams(filters as Record<string, string>).toString()}`,
    settings: vi.fn(async () => settings()),
    saveSettings: vi.fn(async (_address, body) => ({ ...body, updated_at: '2026-11-25T12:30:00.000Z' })),
    nodes: vi.fn(async () => []),
    models: vi.fn(async () => []),
    endpoints: vi.fn(async () => []),
    chain: vi.fn(async () => null),
    chat: vi.fn(async () => {
      throw new ApiError(401, 'Invalid API key.', 'invalid_api_key')
    }),
    ...overrides,
  }
  return api
}

/** Renders the whole console at `path` (under `/console`) against `api`. */
export function renderConsole(api: RouterApi, path = '/') {
  window.history.replaceState(null, '', `/console${path}`)
  return render(() => <App api={api} />)
}
