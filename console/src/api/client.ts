import type { z } from 'zod'
import { ModelEndpoints, ModelList, type CatalogModel, type ModelEndpoint } from '@agora/protocol/openai'
import {
  Account,
  ApiKeyList,
  ApiKey,
  CreatedKey,
  EscrowInfo,
  GenerationPage,
  Journal,
  Nonce,
  ProviderNodes,
  Session,
  Settings,
  Usage,
  type Generation,
  type JournalEntry,
  type KeyLimits,
  type ProviderNode,
  type SettingsInput,
  type UsageFilters,
  type UsageGroup,
  type UsageRow,
} from './schemas.ts'
import { streamChat, type ChatStreamParameters, type ChatStreamResult } from './chat.ts'
import { ApiError, apiError } from './errors.ts'

/** Everything the console asks of the router. Pages get it from context, so tests can hand in a stand-in. */
export interface RouterApi {
  nonce(): Promise<Nonce>
  verify(body: { message: string; signature: string }): Promise<Session>
  session(): Promise<Session>
  logout(): Promise<void>
  account(address: string): Promise<Account>
  journal(address: string, page?: { limit?: number; before?: number }): Promise<JournalEntry[]>
  keys(address: string): Promise<ApiKey[]>
  createKey(address: string, body: KeyLimits & { name: string }): Promise<CreatedKey>
  updateKey(address: string, id: string, body: KeyLimits): Promise<ApiKey>
  revokeKey(address: string, id: string): Promise<ApiKey>
  usage(address: string, group: UsageGroup, filters?: UsageFilters): Promise<UsageRow[]>
  generations(address: string, filters?: UsageFilters & { limit?: number; offset?: number }): Promise<Generation[]>
  /** A link to the CSV export; the session cookie goes with it. */
  usageCsvUrl(address: string, filters?: UsageFilters): string
  settings(address: string): Promise<Settings>
  saveSettings(address: string, settings: SettingsInput): Promise<Settings>
  nodes(address: string): Promise<ProviderNode[]>
  models(): Promise<CatalogModel[]>
  endpoints(model: string): Promise<ModelEndpoint[]>
  /** Where the escrow is, or null when the router runs without one. */
  chain(): Promise<EscrowInfo | null>
  /** A streamed chat completion with an API key, through `/v1`. */
  chat(parameters: ChatStreamParameters): Promise<ChatStreamResult>
}

export interface CreateRouterApiParameters {
  /** Where the router is; the page's own origin when empty. */
  baseUrl?: string
  fetch?: typeof fetch
}

/**
 * The typed client of the router the console uses: `/api` with the session cookie, `/v1`
 * with an API key. Every answer is checked against its schema; an error answer becomes an
 * `ApiError`.
 * @example
 * const api = createRouterApi()
 * const session = await api.session()
 */
export function createRouterApi({ baseUrl = '', fetch: fetchImpl = (...args) => fetch(...args) }: CreateRouterApiParameters = {}): RouterApi {
  async function call<S extends z.ZodType>(schema: S, path: string, init: RequestInit = {}): Promise<z.infer<S>> {
    const response = await send(path, init)
    return schema.parse(await response.json())
  }

  async function send(path: string, init: RequestInit = {}): Promise<Response> {
    let response: Response
    try {
      response = await fetchImpl(`${baseUrl}${path}`, {
        credentials: 'same-origin',
        ...init,
        headers: { ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string>) },
      })
    } catch (error) {
      throw new ApiError(0, `The router cannot be reached (${(error as Error).message})`, 'network_error')
    }
    if (!response.ok) throw await apiError(response)
    return response
  }

  const json = (method: string, body: unknown): RequestInit => ({ method, body: JSON.stringify(body) })
  const account = (address: string) => `/api/accounts/${address}`

  return {
    nonce: () => call(Nonce, '/api/auth/nonce', { method: 'POST' }),
    verify: (body) => call(Session, '/api/auth/verify', json('POST', body)),
    session: () => call(Session, '/api/auth/session'),
    logout: async () => void (await send('/api/auth/logout', { method: 'POST' })),
    account: (address) => call(Account, account(address)),
    journal: async (address, page = {}) => (await call(Journal, `${account(address)}/journal${query(page)}`)).data,
    keys: async (address) => (await call(ApiKeyList, `${account(address)}/keys`)).data,
    createKey: (address, body) => call(CreatedKey, `${account(address)}/keys`, json('POST', body)),
    updateKey: (address, id, body) => call(ApiKey, `${account(address)}/keys/${id}`, json('PATCH', body)),
    revokeKey: (address, id) => call(ApiKey, `${account(address)}/keys/${id}`, { method: 'DELETE' }),
    usage: async (address, group, filters = {}) => (await call(Usage, `${account(address)}/usage${query({ group, ...filters })}`)).data,
    generations: async (address, filters = {}) => (await call(GenerationPage, `${account(address)}/generations${query(filters)}`)).data,
    usageCsvUrl: (address, filters = {}) => `${baseUrl}${account(address)}/usage.csv${query(filters)}`,
    settings: (address) => call(Settings, `${account(address)}/settings`),
    saveSettings: (address, settings) => call(Settings, `${account(address)}/settings`, json('PUT', settings)),
    nodes: async (address) => (await call(ProviderNodes, `${account(address)}/nodes`)).data,
    models: async () => (await call(ModelList, '/api/models')).data,
    endpoints: async (model) => (await call(ModelEndpoints, `/api/models/${model}/endpoints`)).data.endpoints,
    chain: async () => {
      try {
        return await call(EscrowInfo, '/api/chain')
      } catch (error) {
        if (error instanceof ApiError && error.code === 'chain_not_configured') return null
        throw error
      }
    },
    chat: (parameters) => streamChat({ baseUrl, fetch: fetchImpl, ...parameters }),
  }
}

/** A query string of the set parameters (filters, paging). */
function query(params: UsageFilters | { [name: string]: string | number | undefined }): string {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(params) as Array<[string, string | number | undefined]>) if (value !== undefined && value !== '') search.set(name, String(value))
  const text = search.toString()
  return text ? `?${text}` : ''
}

/**
 * The same client, calling `onSessionLost` when the router says the session is gone (it
 * expired, or the wallet logged out in another tab), so the console can ask to sign in again.
 */
export function withSessionGuard(api: RouterApi, onSessionLost: () => void): RouterApi {
  const guarded = {} as Record<string, unknown>
  for (const [name, method] of Object.entries(api) as Array<[string, (...args: unknown[]) => unknown]>) {
    guarded[name] = (...args: unknown[]) => {
      const result = method(...args)
      if (!(result instanceof Promise)) return result
      return result.catch((error: unknown) => {
        if (error instanceof ApiError && error.code === 'invalid_session') onSessionLost()
        throw error
      })
    }
  }
  return guarded as unknown as RouterApi
}
