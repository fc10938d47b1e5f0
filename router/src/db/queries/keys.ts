import { createHash, randomBytes } from 'node:crypto'
import { and, asc, eq, isNull } from 'drizzle-orm'
import type { Database } from '../index.ts'
import { apiKeys, type ApiKey, type SpendReset } from '../schema/index.ts'

export const API_KEY_PREFIX = 'sk-agora-'
/** Characters of the secret after `sk-agora-` kept visible, enough to tell keys apart. */
const VISIBLE_CHARS = 6

/**
 * The stored form of a secret: hex SHA-256. A fast hash is enough because the secret has
 * 192 random bits; there is nothing to brute-force.
 * @example
 * const key = await findKeyByHash(db, hashKey(bearer))
 */
export function hashKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

/** A key's limits; null removes a limit. */
export interface KeyLimits {
  /** Micro-USD per period. */
  spendLimit?: bigint | null
  spendReset?: SpendReset
  rpmLimit?: number | null
  tpmLimit?: number | null
  allowedModels?: string[] | null
  expiresAt?: Date | null
}

export interface CreateKeyParameters extends KeyLimits {
  accountId: string
  name: string
}

export interface CreateKeyReturnType {
  key: ApiKey
  /** `sk-agora-…`; shown to the user once and never stored. */
  secret: string
}

/**
 * Creates an API key and returns its secret, the only time the secret exists.
 * @example
 * const { secret } = await createKey(db, { accountId, name: 'laptop', spendLimit: 10_000_000n, spendReset: 'monthly' })
 */
export async function createKey(db: Database, { accountId, name, ...limits }: CreateKeyParameters): Promise<CreateKeyReturnType> {
  const secret = `${API_KEY_PREFIX}${randomBytes(24).toString('base64url')}`
  const [key] = await db
    .insert(apiKeys)
    .values({ accountId, name, prefix: secret.slice(0, API_KEY_PREFIX.length + VISIBLE_CHARS), secretHash: hashKey(secret), ...limits })
    .returning()
  return { key: key!, secret }
}

/**
 * The key with this hash, revoked and expired ones included; check `keyStatus` next.
 * @example
 * const key = await findKeyByHash(db, hashKey(bearer))
 */
export async function findKeyByHash(db: Database, secretHash: string): Promise<ApiKey | undefined> {
  const [key] = await db.select().from(apiKeys).where(eq(apiKeys.secretHash, secretHash))
  return key
}

export type KeyStatus = 'active' | 'revoked' | 'expired'

/**
 * Whether a key may be used at `now`.
 * @example
 * if (keyStatus(key) !== 'active') throw new AuthenticationError()
 */
export function keyStatus(key: Pick<ApiKey, 'revokedAt' | 'expiresAt'>, now = new Date()): KeyStatus {
  if (key.revokedAt) return 'revoked'
  if (key.expiresAt && key.expiresAt <= now) return 'expired'
  return 'active'
}

export interface KeyOfAccount {
  keyId: string
  /** The owner; a key of another account is never touched. */
  accountId: string
}

/**
 * Revokes a key for good. Returns false when the key is not the account's or already revoked.
 * @example
 * await revokeKey(db, { keyId, accountId })
 */
export async function revokeKey(db: Database, { keyId, accountId, now = new Date() }: KeyOfAccount & { now?: Date }): Promise<boolean> {
  const revoked = await db
    .update(apiKeys)
    .set({ revokedAt: now })
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id })
  return revoked.length > 0
}

/**
 * Changes a key's name or limits; fields left undefined stay as they are.
 * @example
 * await updateKey(db, { keyId, accountId, rpmLimit: 60, allowedModels: null })
 */
export async function updateKey(db: Database, { keyId, accountId, ...changes }: KeyOfAccount & KeyLimits & { name?: string }): Promise<ApiKey | undefined> {
  const set = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined))
  if (Object.keys(set).length === 0) return getKey(db, { keyId, accountId })
  const [key] = await db
    .update(apiKeys)
    .set(set)
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId)))
    .returning()
  return key
}

/**
 * One key of an account, revoked and expired ones included.
 * @example
 * const key = await getKey(db, { keyId, accountId })
 */
export async function getKey(db: Database, { keyId, accountId }: KeyOfAccount): Promise<ApiKey | undefined> {
  const [key] = await db.select().from(apiKeys).where(and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId)))
  return key
}

/**
 * An account's keys, oldest first, revoked ones included.
 * @example
 * const keys = await listKeys(db, accountId)
 */
export async function listKeys(db: Database, accountId: string): Promise<ApiKey[]> {
  return db.select().from(apiKeys).where(eq(apiKeys.accountId, accountId)).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id))
}
