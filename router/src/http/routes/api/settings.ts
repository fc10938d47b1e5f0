import { Hono } from 'hono'
import { z } from 'zod'
import { formatUsd } from '@agora/protocol'
import type { Database } from '../../../db/index.ts'
import { getAccountSettings, saveAccountSettings } from '../../../db/queries/settings.ts'
import type { AccountSettings } from '../../../db/schema/index.ts'
import { ProviderSort, UsdPerMTok } from '../../../routing/preferences.ts'
import type { AccountSettingsCache } from '../../../settings/account-settings.ts'
import { readJsonBody } from '../../body.ts'

const MicroUsd = z.union([z.number().int().nonnegative(), z.string().regex(/^\d{1,20}$/)]).transform((value) => BigInt(value))

/** An account's settings as `PUT` takes them; a field left out (or null) takes its default. */
const SettingsBody = z.strictObject({
  /** Defaults for a request's `provider` object, in its units (USD per million tokens). */
  provider: z
    .strictObject({
      sort: ProviderSort.nullish(),
      max_price: z.strictObject({ prompt: UsdPerMTok.nullish(), completion: UsdPerMTok.nullish() }).nullish(),
      ignore: z.array(z.string().min(1).max(128)).max(64).nullish(),
      quantizations: z.array(z.string().min(1).max(32)).max(32).nullish(),
      allow_fallbacks: z.boolean().nullish(),
    })
    .nullish(),
  allowed_models: z.array(z.string().min(1).max(256)).min(1).max(500).nullish(),
  low_balance_threshold_micro_usd: MicroUsd.nullish(),
})

/** What `GET` answers; an account that never saved settings gets the defaults and `updated_at: null`. */
function settingsView(settings: AccountSettings | undefined) {
  const price = (value: bigint | null | undefined) => (value === null || value === undefined ? null : formatUsd(value))
  return {
    provider: {
      sort: settings?.sort ?? null,
      max_price: { prompt: price(settings?.maxPromptPrice), completion: price(settings?.maxCompletionPrice) },
      ignore: settings?.ignoredProviders ?? [],
      quantizations: settings?.quantizations ?? null,
      allow_fallbacks: settings?.allowFallbacks ?? true,
    },
    allowed_models: settings?.allowedModels ?? null,
    low_balance_threshold_micro_usd: settings?.lowBalanceThreshold?.toString() ?? null,
    updated_at: settings?.updatedAt.toISOString() ?? null,
  }
}

/**
 * `GET`/`PUT /api/accounts/{address}/settings`: the account-wide defaults the router applies
 * to every request that does not say otherwise. Mount behind `managementAuth` and `accountScope`.
 */
export function settingsRoutes({ db, accountSettings }: { db: Database; accountSettings: AccountSettingsCache }): Hono {
  return new Hono()
    .get('/accounts/:address/settings', async (c) => c.json(settingsView(await getAccountSettings(db, c.var.account.id))))
    .put('/accounts/:address/settings', async (c) => {
      const { account } = c.var
      const body = SettingsBody.parse(await readJsonBody(c, SettingsBody))
      const saved = await saveAccountSettings(db, {
        accountId: account.id,
        sort: body.provider?.sort ?? null,
        maxPromptPrice: body.provider?.max_price?.prompt ?? null,
        maxCompletionPrice: body.provider?.max_price?.completion ?? null,
        ignoredProviders: body.provider?.ignore ?? [],
        quantizations: body.provider?.quantizations?.length ? body.provider.quantizations.map((q) => q.toLowerCase()) : null,
        allowFallbacks: body.provider?.allow_fallbacks ?? true,
        allowedModels: body.allowed_models ?? null,
        lowBalanceThreshold: body.low_balance_threshold_micro_usd ?? null,
      })
      accountSettings.forget(account.id)
      return c.json(settingsView(saved))
    })
}
