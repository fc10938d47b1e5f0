import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, expect } from 'vitest'
import { pino } from 'pino'
import { getAddress } from 'viem'
import { routerConfigFromEnv } from '../config.ts'
import { findAccountByAddress } from '../db/queries/accounts.ts'
import { settlementBatches } from '../db/schema/index.ts'
import { useTestDatabase } from '../db/testing.ts'
import { ChainConfigError, startEscrowLink } from './index.ts'
import { useTestChain } from './testing.ts'

const log = pino({ level: 'silent' })

describe('chain configuration from the environment', () => {
  const escrow = '0x5fbdb2315678afecb367f032d93f642f64180aa3'
  const token = '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512'
  const base = { ROUTER_CHAIN_RPC_URL: 'http://127.0.0.1:8545', ROUTER_CHAIN_ID: '31337', ROUTER_ESCROW_ADDRESS: escrow, ROUTER_TOKEN_ADDRESS: token, ROUTER_ESCROW_DEPLOYMENT_BLOCK: '7' }

  it('is off without an RPC URL', () => {
    expect(routerConfigFromEnv({}).chain).toBeUndefined()
    expect(routerConfigFromEnv({ ROUTER_CHAIN_RPC_URL: '' }).chain).toBeUndefined()
  })

  it('parses every variable, with defaults for the optional ones', () => {
    expect(routerConfigFromEnv(base).chain).toEqual({
      rpcUrl: 'http://127.0.0.1:8545',
      chainId: 31337,
      escrow: getAddress(escrow),
      token: getAddress(token),
      deploymentBlock: 7n,
      confirmations: 12,
      pollIntervalMs: 5_000,
      maxBlockRange: 1_000n,
      settlementIntervalMs: 3_600_000,
      settlementThreshold: 100_000_000n,
      operatorFeeBps: 0,
    })
    const key = `0x${'ab'.repeat(32)}`
    expect(
      routerConfigFromEnv({ ...base, ROUTER_CHAIN_CONFIRMATIONS: '3', ROUTER_OPERATOR_KEY: key, ROUTER_OPERATOR_FEE_BPS: '250', ROUTER_SETTLEMENT_THRESHOLD: '5000000', ROUTER_CHAIN_MAX_BLOCK_RANGE: '500' }).chain,
    ).toMatchObject({ confirmations: 3, operatorKey: key, operatorFeeBps: 250, settlementThreshold: 5_000_000n, maxBlockRange: 500n })
  })

  it('refuses what it cannot use, naming the field', () => {
    expect(() => routerConfigFromEnv({ ...base, ROUTER_ESCROW_ADDRESS: '0x1234' })).toThrow(/escrow/)
    expect(() => routerConfigFromEnv({ ...base, ROUTER_TOKEN_ADDRESS: undefined })).toThrow(/token/)
    expect(() => routerConfigFromEnv({ ...base, ROUTER_OPERATOR_FEE_BPS: '10001' })).toThrow(/operatorFeeBps/)
    expect(() => routerConfigFromEnv({ ...base, ROUTER_CHAIN_CONFIRMATIONS: '0' })).toThrow(/confirmations/)
    expect(() => routerConfigFromEnv({ ...base, ROUTER_OPERATOR_KEY: '0xnope' })).toThrow(/operatorKey/)
    expect(() => routerConfigFromEnv({ ...base, ROUTER_OPERATOR_KEY: `0x${'ab'.repeat(32)}`, ROUTER_OPERATOR_KEY_FILE: '/run/key' })).toThrow(/not both/)
  })
})

describe('the escrow link', () => {
  const chain = useTestChain()
  const test = useTestDatabase('pglite')

  it('refuses a chain id or a token that is not the escrow’s', async () => {
    await expect(startEscrowLink({ config: chain.config({ chainId: 1 }), db: test.db, log, holder: 'a' })).rejects.toThrow(ChainConfigError)
    await expect(startEscrowLink({ config: chain.config({ token: chain.escrow }), db: test.db, log, holder: 'a' })).rejects.toThrow(/holds/)
    await expect(startEscrowLink({ config: chain.config({ escrow: chain.token }), db: test.db, log, holder: 'a' })).rejects.toThrow(/no CreditEscrow/)
  })

  it('without an operator key credits deposits and settles nothing', async () => {
    const link = await startEscrowLink({ config: chain.config({ operatorKey: undefined }), db: test.db, log, holder: 'a' })
    try {
      expect(link.settler).toBeUndefined()
      const user = chain.users[0]!
      await chain.deposit(user, 3_000_000n)
      await expect.poll(async () => (await findAccountByAddress(test.db, user.address))?.balance, { timeout: 15_000 }).toBe(3_000_000n)
    } finally {
      await link.stop()
    }
  })

  it('reads the operator key from a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agora-operator-'))
    const file = join(dir, 'operator.key')
    await writeFile(file, `${chain.anvil.accounts[1].privateKey}\n`, { mode: 0o600 })
    const link = await startEscrowLink({ config: chain.config({ operatorKey: undefined, operatorKeyFile: file }), db: test.db, log, holder: 'a' })
    await link.stop()
    expect(link.settler).toBeDefined()
    await writeFile(file, 'not a key\n')
    await expect(startEscrowLink({ config: chain.config({ operatorKey: undefined, operatorKeyFile: file }), db: test.db, log, holder: 'a' })).rejects.toThrow(/does not hold a private key/)
  })

  it('refuses a ledger that settled to another escrow', async () => {
    await test.db.insert(settlementBatches).values({
      id: 1n,
      chainId: chain.anvil.chain.id,
      escrow: '0x0000000000000000000000000000000000000001',
      status: 'confirmed',
      receiptsRoot: `0x${'00'.repeat(32)}`,
      debited: 1n,
      credited: 1n,
      fee: 0n,
      feeBps: 0,
      debits: [],
      credits: [],
      treasury: '0x0000000000000000000000000000000000000002',
      generationCount: 1,
      txHash: `0x${'11'.repeat(32)}`,
      blockNumber: 1n,
    })
    await expect(startEscrowLink({ config: chain.config(), db: test.db, log, holder: 'a' })).rejects.toThrow(/follows one escrow/)
  })
})
