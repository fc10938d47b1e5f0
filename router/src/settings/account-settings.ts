import { LRUCache } from 'lru-cache'
import { ModelNotAllowedError } from '@agora/protocol'
import type { Database } from '../db/index.ts'
import { getAccountSettings } from '../db/queries/settings.ts'
import type { AccountSettings } from '../db/schema/index.ts'
import type { RoutingDefaults } from '../routing/preferences.ts'

export interface AccountSettingsCacheParameters {
  db: Database
  /** How long a read is reused; a change saved on another replica applies within this. */
  ttlMs?: number
}

/**
 * Accounts' settings as the request path reads them: cached briefly (one read per account
 * per `ttlMs` at most, concurrent misses sharing it), like key lookups, so a change saved on
 * another router takes effect within seconds and at once on the router that saved it.
 * @example
 * const settings = await accountSettings.get(key.accountId)
 */
export class AccountSettingsCache {
  readonly #cache: LRUCache<string, { settings: AccountSettings | undefined }>

  constructor({ db, ttlMs = 2_000 }: AccountSettingsCacheParameters) {
    this.#cache = new LRUCache({ max: 50_000, ttl: ttlMs, fetchMethod: async (accountId) => ({ settings: await getAccountSettings(db, accountId) }) })
  }

  /** The account's settings, undefined when it has none. */
  async get(accountId: string): Promise<AccountSettings | undefined> {
    return (await this.#cache.fetch(accountId))?.settings
  }

  /** Drops a cached read, e.g. right after the settings were saved. */
  forget(accountId: string): void {
    this.#cache.delete(accountId)
  }
}

/**
 * The routing preferences an account's settings give every request that does not set them.
 * @example
 * const request = parseRoutingRequest(body, headers, routingDefaults(await accountSettings.get(key.accountId)))
 */
export function routingDefaults(settings: AccountSettings | undefined): RoutingDefaults {
  if (!settings) return {}
  return {
    sort: settings.sort ?? undefined,
    maxPrice: { prompt: settings.maxPromptPrice ?? undefined, completion: settings.maxCompletionPrice ?? undefined },
    ignore: settings.ignoredProviders,
    quantizations: settings.quantizations?.length ? settings.quantizations : undefined,
    allowFallbacks: settings.allowFallbacks,
  }
}

/**
 * Refuses a request naming a model (its primary or a fallback) outside the account's
 * allowed models, whatever its key allows.
 * @throws {ModelNotAllowedError} 403 `model_not_allowed`
 * @example
 * assertAccountAllows(settings, request.models)
 */
export function assertAccountAllows(settings: AccountSettings | undefined, models: string[]): void {
  const allowed = settings?.allowedModels
  if (!allowed) return
  const denied = models.find((model) => !allowed.includes(model))
  if (denied !== undefined) throw new ModelNotAllowedError(denied, 'account')
}
