import { timingSafeEqual } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import type { Logger } from 'pino'
import {
  AuthenticationError,
  InsufficientCreditsError,
  KeyLimitError,
  ModelNotAllowedError,
  formatUsd,
  requestCost,
  usdNumber,
  type Pricing,
} from '@agora/protocol'
import type { Database } from '../db/index.ts'
import { findKeyByHash, hashKey, keyStatus } from '../db/queries/keys.ts'
import type { ApiKey } from '../db/schema/index.ts'
import { GroupCommit } from './group-commit.ts'
import {
  placeHolds,
  releaseExpiredHolds,
  releaseHold,
  settleHolds,
  type GenerationRecord,
  type PlaceHoldParameters,
  type PlaceHoldReturnType,
  type PlacedHold,
  type SettleHoldParameters,
  type SettleHoldReturnType,
} from './holds.ts'
import { KeyRateLimiter, type RateLimitHeaders } from './rate-limit.ts'
import { keySpend, spendLimitAllows, type KeySpend } from './spend.ts'
import type { BilledUsage } from './usage-bound.ts'

export interface BillingGatewayParameters {
  db: Database
  rateLimiter: KeyRateLimiter
  log: Logger
  /** How long a key lookup is reused; revocation takes effect within this. */
  keyCacheMs?: number
  /** How long a key's period spend is reused before it is read again. */
  spendCacheMs?: number
  /**
   * False runs the router without a ledger on the request path: keys are still checked and
   * rate-limited, but nothing is held, charged or recorded (a private deployment; the
   * benchmark's baseline). True by default.
   */
  charging?: boolean
}

/** What a settled request cost, for the response's `usage.cost`. */
export interface Settlement {
  cost: bigint
  /** `cost` as USD, the decimal OpenRouter puts in `usage.cost`. */
  costUsd: number
}

interface CachedSpend {
  spend: KeySpend
  readAt: number
}

/** An account's balance as this router last saw it, less the holds it has sent but not seen placed. */
interface KnownBalance {
  balance: bigint
  pending: bigint
}

/** A hold on its way; see {@link BillingGateway.startHold}. */
export interface StartedHold {
  placed: Promise<PlacedHold | null>
  /**
   * The balance this router last saw covers the hold, its other holds in flight included, so
   * the request may go on beside it rather than wait: only a change made elsewhere (another
   * replica, a withdrawal) since then refuses it.
   */
  ahead: boolean
}

/**
 * The router's billing on the request path: which key is calling, whether it may, and
 * holding, charging and releasing its credits. Two database round trips per request at
 * steady state: the hold and the settle; key lookups and period spend are cached briefly.
 * Holds and settlements of concurrent requests share statements (group commit), so under
 * load a hot account's row is locked and committed once per batch, not once per request.
 */
export class BillingGateway {
  readonly db: Database
  readonly rateLimiter: KeyRateLimiter
  readonly #log: Logger
  readonly #keys: LRUCache<string, { key: ApiKey | null }>
  readonly #spend = new Map<string, CachedSpend>()
  readonly #spendCacheMs: number
  readonly #balances = new LRUCache<string, KnownBalance>({ max: 50_000 })
  readonly #holds: GroupCommit<PlaceHoldParameters, PlaceHoldReturnType>
  readonly #settlements: GroupCommit<SettleHoldParameters, SettleHoldReturnType>
  /** Whether requests are held and charged; see {@link BillingGatewayParameters.charging}. */
  readonly charging: boolean

  constructor({ db, rateLimiter, log, keyCacheMs = 2_000, spendCacheMs = 2_000, charging = true }: BillingGatewayParameters) {
    this.db = db
    this.rateLimiter = rateLimiter
    this.#log = log
    this.#keys = new LRUCache({ max: 50_000, ttl: keyCacheMs })
    this.#spendCacheMs = spendCacheMs
    this.#holds = new GroupCommit({ run: (requests) => placeHolds(db, requests) })
    this.#settlements = new GroupCommit({ run: (requests) => settleHolds(db, requests) })
    this.charging = charging
  }

  /** The active key whose secret is `secret`, or a 401. */
  async authenticate(secret: string): Promise<ApiKey> {
    const hash = hashKey(secret)
    let entry = this.#keys.get(hash)
    if (!entry) {
      entry = { key: (await findKeyByHash(this.db, hash)) ?? null }
      this.#keys.set(hash, entry)
    }
    const key = entry.key
    // The lookup was by hash; compare it again in constant time so no path depends on how much matched.
    if (!key || !timingSafeEqual(Buffer.from(key.secretHash, 'hex'), Buffer.from(hash, 'hex'))) throw new AuthenticationError()
    const status = keyStatus(key)
    if (status === 'revoked') throw new AuthenticationError('This API key has been revoked.', 'key_revoked')
    if (status === 'expired') throw new AuthenticationError('This API key has expired.', 'key_expired')
    return key
  }

  /** Forgets cached lookups of a key, e.g. right after it is revoked or its limits change. */
  forgetKey(key: Pick<ApiKey, 'secretHash' | 'id'>): void {
    this.#keys.delete(key.secretHash)
    this.#spend.delete(key.id)
  }

  /** Checks the key may use these models and is within its rate limits; returns the rate-limit headers. */
  async admit(key: ApiKey, models: string[]): Promise<RateLimitHeaders> {
    if (key.allowedModels) {
      const denied = models.find((model) => !key.allowedModels!.includes(model))
      if (denied) throw new ModelNotAllowedError(denied)
    }
    return this.rateLimiter.admit(key.id, { rpm: key.rpmLimit, tpm: key.tpmLimit })
  }

  /**
   * Holds `amount` of the key's account for a request: refused with a 402 when the key's
   * period limit or the account's balance cannot cover it. One atomic statement. Null when
   * the router is not charging.
   */
  async hold(key: ApiKey, amount: bigint, deadline: Date): Promise<PlacedHold | null> {
    if (!this.charging) return null
    if (key.spendLimit !== null) {
      const spend = await this.#periodSpend(key)
      if (!spendLimitAllows(key.spendLimit, spend, amount)) {
        const left = key.spendLimit - spend.spent - spend.held
        throw new KeyLimitError(`This key's ${key.spendReset === 'never' ? '' : `${key.spendReset} `}spend limit of $${formatUsd(key.spendLimit)} is reached ($${formatUsd(left > 0n ? left : 0n)} left; this request may cost up to $${formatUsd(amount)})`)
      }
    }
    const placed = await this.#holds.submit({ accountId: key.accountId, keyId: key.id, amount, deadline })
    this.#sawBalance(key.accountId, placed.balance)
    if (!placed.ok) {
      throw new InsufficientCreditsError(`Insufficient credits: this request may cost up to $${formatUsd(amount)}, the balance is $${formatUsd(placed.balance)}`)
    }
    this.#adjustSpend(key.id, { held: amount })
    return placed.hold
  }

  /**
   * Starts {@link hold} and says whether the request may go on before it is placed: when the
   * account's balance as this router last saw it (from its own holds, settlements and
   * releases), less its holds still in flight, covers `amount`. The hold is then off the
   * request's critical path; a refusal after all must stop the request before its first byte
   * reaches the client. An account this router has not seen yet, or one near empty, waits.
   * @example
   * const { placed, ahead } = billing.startHold(key, amount, deadline)
   * const hold = ahead ? undefined : await placed
   */
  startHold(key: ApiKey, amount: bigint, deadline: Date): StartedHold {
    const known = this.charging ? this.#balances.get(key.accountId) : undefined
    const ahead = known !== undefined && known.balance - known.pending >= amount
    if (!ahead) return { placed: this.hold(key, amount, deadline), ahead }
    known.pending += amount
    const placed = this.hold(key, amount, deadline).finally(() => {
      known.pending -= amount
    })
    return { placed, ahead }
  }

  /**
   * Charges a finished request's cost and releases the rest of its hold, recording the
   * generation. Without a hold (the router is not charging) it only reports the cost.
   */
  async settle(key: ApiKey, hold: PlacedHold | null, pricing: Pricing, usage: BilledUsage, generation: Omit<GenerationRecord, 'promptTokens' | 'completionTokens'>): Promise<Settlement> {
    const cost = requestCost(usage, pricing)
    void this.rateLimiter.recordTokens(key.id, { rpm: key.rpmLimit, tpm: key.tpmLimit }, usage.promptTokens + usage.completionTokens).catch((error: unknown) => {
      this.#log.warn({ err: error }, 'could not count tokens against the rate limit')
    })
    if (!hold) return { cost, costUsd: usdNumber(cost) }
    const settled = await withRetries(() =>
      this.#settlements.submit({
        holdId: hold.id,
        charge: cost,
        generation: { ...generation, promptTokens: usage.promptTokens, completionTokens: usage.completionTokens },
      }),
    )
    if (!settled.ok) {
      // The reaper released it first (the request outlived its hold): nothing was charged.
      this.#log.error({ holdId: hold.id, generation: generation.id, cost: cost.toString() }, 'hold was no longer open at settlement: request not charged')
      return { cost: 0n, costUsd: 0 }
    }
    this.#sawBalance(key.accountId, settled.balance)
    if (settled.shortfall > 0n) this.#log.warn({ holdId: hold.id, shortfall: settled.shortfall.toString() }, 'cost exceeded the hold')
    this.#adjustSpend(key.id, { held: -hold.amount, spent: settled.charged })
    return { cost: settled.charged, costUsd: usdNumber(settled.charged) }
  }

  /** Gives a whole hold back: the request failed before anything was delivered. */
  async release(key: ApiKey, hold: PlacedHold | null): Promise<void> {
    if (!hold) return
    const released = await releaseHold(this.db, { holdId: hold.id })
    if (!released.ok) return
    this.#adjustSpend(key.id, { held: -hold.amount })
    this.#sawBalance(key.accountId, released.balance)
  }

  /** Releases holds whose deadline passed (their router crashed or lost them). */
  async reap(): Promise<number> {
    const released = await releaseExpiredHolds(this.db)
    if (released.length) this.#log.warn({ holds: released.length }, 'released expired holds')
    return released.length
  }

  async #periodSpend(key: ApiKey): Promise<KeySpend> {
    const cached = this.#spend.get(key.id)
    const now = Date.now()
    if (cached && now - cached.readAt < this.#spendCacheMs && (!cached.spend.period.end || cached.spend.period.end.getTime() > now)) return cached.spend
    const spend = await keySpend(this.db, key)
    this.#spend.set(key.id, { spend, readAt: now })
    return spend
  }

  #sawBalance(accountId: string, balance: bigint): void {
    const known = this.#balances.get(accountId)
    if (known) known.balance = balance
    else this.#balances.set(accountId, { balance, pending: 0n })
  }

  /** Keeps a cached period spend current between reads with what this router did. */
  #adjustSpend(keyId: string, { held = 0n, spent = 0n }: { held?: bigint; spent?: bigint }): void {
    const cached = this.#spend.get(keyId)
    if (!cached) return
    cached.spend = { ...cached.spend, held: cached.spend.held + held, spent: cached.spend.spent + spent }
  }
}

/**
 * Runs a settlement again when the database fails (a dropped connection, a failover), so a
 * served request is not left free. `settleHold` only acts on an open hold, so a retry after
 * an attempt that did commit finds nothing to do instead of charging twice.
 */
async function withRetries<T>(run: () => Promise<T>, attempts = 3, delayMs = 100): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run()
    } catch (error) {
      if (attempt >= attempts) throw error
      await new Promise((resolve) => setTimeout(resolve, delayMs * attempt))
    }
  }
}
