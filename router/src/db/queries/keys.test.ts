import { describe, expect, it } from 'vitest'
import { ensureAccount } from './accounts.ts'
import { randomAddress, testDrivers, useTestDatabase } from '../testing.ts'
import { API_KEY_PREFIX, createKey, findKeyByHash, hashKey, keyStatus, listKeys, revokeKey, updateKey } from './keys.ts'

describe.each(await testDrivers())('API keys on %s', (driver) => {
  const test = useTestDatabase(driver)

  it('stores only a hash and a visible prefix, and finds the key by the hash', async () => {
    const account = await ensureAccount(test.db, randomAddress())
    const { key, secret } = await createKey(test.db, { accountId: account.id, name: 'laptop', spendLimit: 10_000_000n, spendReset: 'monthly', allowedModels: ['a/b'] })
    expect(secret).toMatch(/^sk-agora-[A-Za-z0-9_-]{32}$/)
    expect(key.prefix).toBe(secret.slice(0, API_KEY_PREFIX.length + 6))
    expect(key.secretHash).toBe(hashKey(secret))
    expect(Object.values(key)).not.toContain(secret)
    expect(await findKeyByHash(test.db, hashKey(secret))).toEqual(key)
    expect(await findKeyByHash(test.db, hashKey(`${secret}x`))).toBeUndefined()
    expect(key).toMatchObject({ spendLimit: 10_000_000n, spendReset: 'monthly', allowedModels: ['a/b'], rpmLimit: null, revokedAt: null })
  })

  it('revokes a key of its own account only, once', async () => {
    const owner = await ensureAccount(test.db, randomAddress())
    const other = await ensureAccount(test.db, randomAddress())
    const { key, secret } = await createKey(test.db, { accountId: owner.id, name: 'ci' })
    expect(await revokeKey(test.db, { keyId: key.id, accountId: other.id })).toBe(false)
    expect(keyStatus((await findKeyByHash(test.db, hashKey(secret)))!)).toBe('active')
    expect(await revokeKey(test.db, { keyId: key.id, accountId: owner.id })).toBe(true)
    expect(await revokeKey(test.db, { keyId: key.id, accountId: owner.id })).toBe(false)
    expect(keyStatus((await findKeyByHash(test.db, hashKey(secret)))!)).toBe('revoked')
  })

  it('expires a key at its expiry', async () => {
    const account = await ensureAccount(test.db, randomAddress())
    const expiresAt = new Date('2030-06-01T00:00:00Z')
    const { key } = await createKey(test.db, { accountId: account.id, name: 'temp', expiresAt })
    expect(keyStatus(key, new Date('2030-05-31T23:59:59Z'))).toBe('active')
    expect(keyStatus(key, expiresAt)).toBe('expired')
  })

  it('updates limits and lists the keys of an account', async () => {
    const account = await ensureAccount(test.db, randomAddress())
    const first = await createKey(test.db, { accountId: account.id, name: 'one', rpmLimit: 10 })
    const second = await createKey(test.db, { accountId: account.id, name: 'two' })
    const updated = await updateKey(test.db, { keyId: first.key.id, accountId: account.id, rpmLimit: null, tpmLimit: 50_000, spendLimit: 1n, spendReset: 'daily' })
    expect(updated).toMatchObject({ name: 'one', rpmLimit: null, tpmLimit: 50_000, spendLimit: 1n, spendReset: 'daily' })
    expect(await updateKey(test.db, { keyId: first.key.id, accountId: (await ensureAccount(test.db, randomAddress())).id, name: 'stolen' })).toBeUndefined()
    expect(await updateKey(test.db, { keyId: second.key.id, accountId: account.id })).toEqual(second.key)
    expect((await listKeys(test.db, account.id)).map((key) => key.name).sort()).toEqual(['one', 'two'])
  })
})
