import { describe, expect, it } from 'vitest'
import { randomAddress, testDrivers, useTestDatabase } from '../testing.ts'
import { ensureAccount, getAccount } from './accounts.ts'

describe.each(await testDrivers())('accounts on %s', (driver) => {
  const test = useTestDatabase(driver)

  it('finds the same account for any casing of an address, even when sign-ins race', async () => {
    const address = randomAddress()
    const checksummed = `0x${address.slice(2).toUpperCase()}`
    const accounts = await Promise.all([ensureAccount(test.db, address), ensureAccount(test.db, checksummed), ensureAccount(test.db, address)])
    expect(new Set(accounts.map((account) => account.id)).size).toBe(1)
    expect(accounts[0]).toMatchObject({ address, balance: 0n })
    expect(await getAccount(test.db, accounts[0]!.id)).toEqual(accounts[0])
  })

  it('refuses something that is not an address', async () => {
    await expect(ensureAccount(test.db, 'alice')).rejects.toThrow()
  })
})
