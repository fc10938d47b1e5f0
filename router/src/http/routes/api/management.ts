import { Hono, type Context } from 'hono'
import { z } from 'zod'
import { InvalidRequestError } from '@agora/protocol'
import { isAddress } from 'viem'
import type { BillingGateway } from '../../../billing/gateway.ts'
import { adjust, creditsSummary } from '../../../billing/ledger.ts'
import type { Database } from '../../../db/index.ts'
import { ensureAccount } from '../../../db/queries/accounts.ts'
import { createKey, getKey, listKeys, revokeKey, updateKey } from '../../../db/queries/keys.ts'
import { listGenerations, listJournal, usageBy, type UsageRange } from '../../../db/queries/usage.ts'
import type { Account, ApiKey, Generation, JournalEntry } from '../../../db/schema/index.ts'
import { readJsonBody } from '../../body.ts'
import { NotFoundError } from '../../middleware/account-scope/index.ts'
import { adminOnly } from '../../middleware/management-auth/index.ts'

/** Micro-USD, as an integer or a decimal integer string (JSON numbers lose precision past 2^53). */
const MicroUsd = z.union([z.number().int(), z.string().regex(/^-?\d{1,20}$/)]).transform((value) => BigInt(value))
const NonNegativeMicroUsd = MicroUsd.refine((value) => value >= 0n, 'must not be negative')

const KeyLimitsBody = z.object({
  spend_limit_micro_usd: NonNegativeMicroUsd.nullish(),
  spend_reset: z.enum(['daily', 'weekly', 'monthly', 'never']).optional(),
  rpm_limit: z.number().int().positive().nullish(),
  tpm_limit: z.number().int().positive().nullish(),
  allowed_models: z.array(z.string().min(1)).min(1).nullish(),
  expires_at: z.iso.datetime({ offset: true }).nullish(),
})
const CreateKeyBody = KeyLimitsBody.extend({ name: z.string().min(1).max(100) })
const UpdateKeyBody = KeyLimitsBody.extend({ name: z.string().min(1).max(100).optional() })
const CreateAccountBody = z.object({ address: z.string().refine((value) => isAddress(value), 'must be an EVM address') })
const AdjustBody = z.object({
  amount_micro_usd: MicroUsd.refine((value) => value !== 0n, 'must not be zero'),
  note: z.string().min(1).max(500),
  ref: z.string().min(1).max(200).optional(),
})

type KeyLimitsInput = z.infer<typeof KeyLimitsBody>

function limitsFrom(body: KeyLimitsInput) {
  return {
    ...(body.spend_limit_micro_usd !== undefined ? { spendLimit: body.spend_limit_micro_usd } : {}),
    ...(body.spend_reset !== undefined ? { spendReset: body.spend_reset } : {}),
    ...(body.rpm_limit !== undefined ? { rpmLimit: body.rpm_limit } : {}),
    ...(body.tpm_limit !== undefined ? { tpmLimit: body.tpm_limit } : {}),
    ...(body.allowed_models !== undefined ? { allowedModels: body.allowed_models } : {}),
    ...(body.expires_at !== undefined ? { expiresAt: body.expires_at === null ? null : new Date(body.expires_at) } : {}),
  }
}

const keyView = (key: ApiKey) => ({
  id: key.id,
  name: key.name,
  prefix: key.prefix,
  spend_limit_micro_usd: key.spendLimit?.toString() ?? null,
  spend_reset: key.spendReset,
  rpm_limit: key.rpmLimit,
  tpm_limit: key.tpmLimit,
  allowed_models: key.allowedModels,
  expires_at: key.expiresAt?.toISOString() ?? null,
  revoked_at: key.revokedAt?.toISOString() ?? null,
  created_at: key.createdAt.toISOString(),
})

const accountView = (account: Account) => ({ id: account.id, address: account.address, balance_micro_usd: account.balance.toString(), created_at: account.createdAt.toISOString() })

const journalView = (entry: JournalEntry) => ({
  id: entry.id,
  kind: entry.kind,
  amount_micro_usd: entry.amount.toString(),
  key_id: entry.keyId,
  hold_id: entry.holdId,
  generation_id: entry.generationId,
  ref: entry.ref,
  note: entry.note,
  created_at: entry.createdAt.toISOString(),
})

const generationView = (g: Generation) => ({
  id: g.id,
  key_id: g.keyId,
  model: g.model,
  provider: g.providerPeerId,
  status: g.status,
  finish_reason: g.finishReason,
  prompt_tokens: g.promptTokens,
  completion_tokens: g.completionTokens,
  cost_micro_usd: g.cost.toString(),
  time_to_first_token_ms: g.timeToFirstTokenMs,
  duration_ms: g.durationMs,
  settlement_batch_id: g.settlementBatchId?.toString() ?? null,
  created_at: g.createdAt.toISOString(),
})

/** Dates in query strings: `YYYY-MM-DD` or a full ISO timestamp. */
function dateParam(c: Context, name: string): Date | undefined {
  const value = c.req.query(name)
  if (value === undefined) return undefined
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) throw new InvalidRequestError(`Query parameter \`${name}\` must be a date`, { param: name })
  return date
}

function intParam(c: Context, name: string, fallback: number, max: number): number {
  const value = c.req.query(name)
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > max) throw new InvalidRequestError(`Query parameter \`${name}\` must be an integer from 0 to ${max}`, { param: name })
  return n
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The `:id` of a key path; anything but a UUID names no key. */
function keyIdParam(c: Context): string {
  const id = c.req.param('id')
  if (!id || !UUID.test(id)) throw new NotFoundError('Key')
  return id
}

/** The filters of the usage views: date range, key and model. */
function usageRange(c: Context, accountId: string): UsageRange {
  const keyId = c.req.query('key_id') || undefined
  if (keyId !== undefined && !UUID.test(keyId)) throw new InvalidRequestError('Query parameter `key_id` must be a key id', { param: 'key_id' })
  return { accountId, from: dateParam(c, 'from'), to: dateParam(c, 'to'), keyId, model: c.req.query('model') || undefined }
}

function csvField(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value)
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/**
 * The management API under `/api`, for the console and scripts: accounts, keys (the
 * secret is returned once, on creation), credits, journal and usage. Mount it behind
 * `managementAuth` and `accountScope`: the operator reaches every account, a wallet session
 * only its own, and only the operator creates accounts or grants credits.
 */
export function managementRoutes({ db, billing }: { db: Database; billing: BillingGateway }): Hono {
  return new Hono()
    .post('/accounts', adminOnly(), async (c) => {
      const { address } = await readJsonBody(c, CreateAccountBody)
      return c.json(accountView(await ensureAccount(db, address)), 201)
    })
    .get('/accounts/:address', async (c) => {
      const { account } = c.var
      const summary = (await creditsSummary(db, account.id))!
      return c.json({
        ...accountView(account),
        credits: {
          deposited_micro_usd: summary.deposited.toString(),
          used_micro_usd: summary.used.toString(),
          adjusted_micro_usd: summary.adjusted.toString(),
          held_micro_usd: summary.held.toString(),
          balance_micro_usd: summary.balance.toString(),
        },
      })
    })
    .post('/accounts/:address/credits', adminOnly(), async (c) => {
      const { account } = c.var
      const body = await readJsonBody(c, AdjustBody)
      const result = await adjust(db, { accountId: account.id, amount: body.amount_micro_usd, note: body.note, ...(body.ref ? { ref: body.ref } : {}) })
      if (!result.ok) {
        throw result.reason === 'duplicate_ref'
          ? new InvalidRequestError(`An adjustment with ref \`${body.ref}\` was already applied`, { param: 'ref', code: 'duplicate_ref' })
          : new InvalidRequestError('The adjustment would take the balance below zero', { param: 'amount_micro_usd', code: 'insufficient_credits' })
      }
      return c.json({ balance_micro_usd: result.balance.toString() })
    })
    .get('/accounts/:address/journal', async (c) => {
      const { account } = c.var
      const before = c.req.query('before')
      const entries = await listJournal(db, { accountId: account.id, limit: intParam(c, 'limit', 100, 1000), before: before === undefined ? undefined : intParam(c, 'before', 0, Number.MAX_SAFE_INTEGER) })
      return c.json({ data: entries.map(journalView) })
    })
    .get('/accounts/:address/keys', async (c) => {
      const { account } = c.var
      return c.json({ data: (await listKeys(db, account.id)).map(keyView) })
    })
    .post('/accounts/:address/keys', async (c) => {
      const { account } = c.var
      const body = await readJsonBody(c, CreateKeyBody)
      const { key, secret } = await createKey(db, { accountId: account.id, name: body.name, ...limitsFrom(body) })
      return c.json({ ...keyView(key), secret }, 201)
    })
    .patch('/accounts/:address/keys/:id', async (c) => {
      const { account } = c.var
      const body = await readJsonBody(c, UpdateKeyBody)
      const key = await updateKey(db, { keyId: keyIdParam(c), accountId: account.id, ...(body.name ? { name: body.name } : {}), ...limitsFrom(body) })
      if (!key) throw new NotFoundError('Key')
      billing.forgetKey(key)
      return c.json(keyView(key))
    })
    .delete('/accounts/:address/keys/:id', async (c) => {
      const { account } = c.var
      const keyId = keyIdParam(c)
      if (!(await revokeKey(db, { keyId, accountId: account.id }))) throw new NotFoundError('Key')
      const key = (await getKey(db, { keyId, accountId: account.id }))!
      billing.forgetKey(key)
      return c.json(keyView(key))
    })
    .get('/accounts/:address/usage', async (c) => {
      const { account } = c.var
      const group = c.req.query('group') ?? 'day'
      if (group !== 'day' && group !== 'model' && group !== 'key') throw new InvalidRequestError('`group` must be day, model or key', { param: 'group' })
      const rows = await usageBy(db, group, usageRange(c, account.id))
      return c.json({
        group,
        data: rows.map((r) => ({ [group]: r.group, ...(group === 'key' ? { name: r.label } : {}), requests: r.requests, prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens, cost_micro_usd: r.cost.toString() })),
      })
    })
    .get('/accounts/:address/generations', async (c) => {
      const { account } = c.var
      const page = await listGenerations(db, { ...usageRange(c, account.id), limit: intParam(c, 'limit', 100, 1000), offset: intParam(c, 'offset', 0, 1_000_000) })
      return c.json({ data: page.map(generationView) })
    })
    .get('/accounts/:address/usage.csv', async (c) => {
      const { account } = c.var
      const range = usageRange(c, account.id)
      const columns = ['id', 'created_at', 'key_id', 'model', 'provider', 'status', 'finish_reason', 'prompt_tokens', 'completion_tokens', 'cost_micro_usd', 'time_to_first_token_ms', 'duration_ms', 'settlement_batch_id'] as const
      const lines = [columns.join(',')]
      for (let offset = 0; ; offset += 1000) {
        const page = await listGenerations(db, { ...range, limit: 1000, offset })
        for (const g of page) {
          const view = generationView(g)
          lines.push(columns.map((column) => csvField(view[column])).join(','))
        }
        if (page.length < 1000) break
      }
      return c.body(`${lines.join('\r\n')}\r\n`, 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="usage.csv"' })
    })
}
