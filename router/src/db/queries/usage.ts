import { and, desc, eq, getTableColumns, gte, inArray, lt, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../index.ts'
import { apiKeys, creditJournal, generations, holds, type Generation, type JournalEntry } from '../schema/index.ts'

export type UsageGroup = 'day' | 'model' | 'key'

export interface UsageRange {
  accountId: string
  /** Inclusive start. */
  from?: Date | undefined
  /** Exclusive end. */
  to?: Date | undefined
  /** Only this key's generations. */
  keyId?: string | undefined
  /** Only this model's generations. */
  model?: string | undefined
}

export interface UsageRow {
  /** The UTC day `YYYY-MM-DD`, the model id, or the key id. */
  group: string
  /** The key's name when grouped by key. */
  label: string | null
  requests: number
  promptTokens: number
  completionTokens: number
  /** Micro-USD charged. */
  cost: bigint
}

function inRange({ accountId, from, to, keyId, model }: UsageRange): SQL {
  const where: SQL[] = [eq(generations.accountId, accountId)]
  if (from) where.push(gte(generations.createdAt, from))
  if (to) where.push(lt(generations.createdAt, to))
  if (keyId) where.push(eq(generations.keyId, keyId))
  if (model) where.push(eq(generations.model, model))
  return and(...where)!
}

/**
 * An account's usage aggregated by UTC day, model or key, from its generations.
 * @example
 * const byModel = await usageBy(db, 'model', { accountId, from: new Date('2026-11-01') })
 */
export async function usageBy(db: Database, group: UsageGroup, range: UsageRange): Promise<UsageRow[]> {
  const key =
    group === 'day' ? sql<string>`to_char(${generations.createdAt} AT TIME ZONE 'UTC', 'YYYY-MM-DD')` : group === 'model' ? sql<string>`${generations.model}` : sql<string>`${generations.keyId}::text`
  const rows = await db
    .select({
      group: key,
      label: group === 'key' ? sql<string | null>`max(${apiKeys.name})` : sql<string | null>`null`,
      requests: sql`count(*)::integer`.mapWith(Number),
      promptTokens: sql`coalesce(sum(${generations.promptTokens}), 0)::bigint`.mapWith(Number),
      completionTokens: sql`coalesce(sum(${generations.completionTokens}), 0)::bigint`.mapWith(Number),
      cost: sql`coalesce(sum(${generations.cost}), 0)::bigint`.mapWith(BigInt),
    })
    .from(generations)
    .innerJoin(apiKeys, eq(apiKeys.id, generations.keyId))
    .where(inRange(range))
    .groupBy(key)
    .orderBy(key)
  return rows
}

/**
 * An account's generations, newest first, a page at a time.
 * @example
 * const page = await listGenerations(db, { accountId, limit: 100 })
 */
export async function listGenerations(db: Database, { limit = 100, offset = 0, ...range }: UsageRange & { limit?: number; offset?: number }): Promise<Generation[]> {
  return db.select().from(generations).where(inRange(range)).orderBy(desc(generations.createdAt), desc(generations.id)).limit(limit).offset(offset)
}

/**
 * An account's journal, newest first: every change of its balance. A hold's rows (hold,
 * release, charge) store only the hold; their key is the hold's and, once it settled, their
 * generation the one settled from it, which this joins in.
 * @example
 * const entries = await listJournal(db, { accountId, limit: 50 })
 */
export async function listJournal(db: Database, { accountId, limit = 100, before }: { accountId: string; limit?: number; before?: number | undefined }): Promise<JournalEntry[]> {
  const where: SQL[] = [eq(creditJournal.accountId, accountId)]
  if (before !== undefined) where.push(lt(creditJournal.id, before))
  return db
    .select({
      ...getTableColumns(creditJournal),
      keyId: sql<string | null>`coalesce(${creditJournal.keyId}, ${holds.keyId})`,
      generationId: sql<string | null>`coalesce(${creditJournal.generationId}, CASE WHEN ${creditJournal.kind} IN ('charge', 'release') THEN ${generations.id} END)`,
    })
    .from(creditJournal)
    .leftJoin(holds, eq(holds.id, creditJournal.holdId))
    .leftJoin(generations, eq(generations.holdId, creditJournal.holdId))
    .where(and(...where))
    .orderBy(desc(creditJournal.id))
    .limit(limit)
}

/** What a provider peer served, over every account. */
export interface ServedByPeer {
  providerPeerId: string
  requests: number
  promptTokens: number
  completionTokens: number
  /** Micro-USD charged to users for it (before any operator fee). */
  charged: bigint
}

/**
 * What each of these provider peers served, all time, from the generations it answered.
 * @example
 * const served = await servedByPeers(db, offers.map((offer) => offer.peerId))
 */
export async function servedByPeers(db: Database, peerIds: string[]): Promise<ServedByPeer[]> {
  if (!peerIds.length) return []
  return db
    .select({
      providerPeerId: generations.providerPeerId,
      requests: sql`count(*)::integer`.mapWith(Number),
      promptTokens: sql`coalesce(sum(${generations.promptTokens}), 0)::bigint`.mapWith(Number),
      completionTokens: sql`coalesce(sum(${generations.completionTokens}), 0)::bigint`.mapWith(Number),
      charged: sql`coalesce(sum(${generations.cost}), 0)::bigint`.mapWith(BigInt),
    })
    .from(generations)
    .where(inArray(generations.providerPeerId, peerIds))
    .groupBy(generations.providerPeerId)
}
