import { readFile } from 'node:fs/promises'
import type { Logger } from 'pino'
import { createPublicClient, defineChain, getAddress, http, type Address, type Chain, type Hex, type PublicClient, type Transport } from 'viem'
import { creditEscrowAbi, createChainClients } from '@agora/contracts'
import type { Database } from '../db/index.ts'
import { batchOfAnotherEscrow } from '../db/queries/settlements.ts'
import type { ChainConfig } from './config.ts'
import { Settler } from './settlement.ts'
import { EscrowWatcher } from './watcher.ts'

export { ChainConfig, type ChainConfigInput } from './config.ts'
export { Settler, type SettlementStep } from './settlement.ts'
export { EscrowWatcher, type ScanReturnType } from './watcher.ts'
export { SettlementTree, settlementLeaf, LEAF_ENCODING, type SettlementLeaf } from './merkle.ts'

/** The router's link to the escrow: the watcher, and the settler when it has the operator key. */
export interface EscrowLink {
  chainId: number
  escrow: Address
  token: Address
  client: PublicClient<Transport, Chain>
  watcher: EscrowWatcher
  /** Absent without an operator key: the router then only credits deposits. */
  settler: Settler | undefined
  /** Stops polling (waiting for a tick in progress) and gives up the settlement lease. */
  stop(): Promise<void>
}

export interface StartEscrowLinkParameters {
  config: ChainConfig
  db: Database
  log: Logger
  /** This router, unique among those sharing the database. */
  holder: string
}

/** The escrow is not what the configuration says. */
export class ChainConfigError extends Error {
  override name = 'ChainConfigError'
}

/**
 * Connects to the chain, checks the configuration against it (chain id, the escrow's
 * token), and polls every `pollIntervalMs`: the watcher applies confirmed escrow events,
 * then the settler takes one step.
 * @example
 * const link = await startEscrowLink({ config: config.chain, db, log, holder: peerId })
 */
export async function startEscrowLink({ config, db, log, holder }: StartEscrowLinkParameters): Promise<EscrowLink> {
  const chain = defineChain({
    id: config.chainId,
    name: `chain ${config.chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [config.rpcUrl] } },
  })
  const operatorKey = config.operatorKey ?? (config.operatorKeyFile ? ((await readFile(config.operatorKeyFile, 'utf8')).trim() as Hex) : undefined)
  if (operatorKey !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(operatorKey)) throw new ChainConfigError(`${config.operatorKeyFile} does not hold a private key (0x + 64 hex digits)`)
  const clients = operatorKey ? createChainClients({ rpcUrl: config.rpcUrl, chain, privateKey: operatorKey }) : undefined
  const client = clients?.publicClient ?? createPublicClient({ chain, transport: http(config.rpcUrl) })

  const rpcChainId = await client.getChainId()
  if (rpcChainId !== config.chainId) throw new ChainConfigError(`the RPC at ${config.rpcUrl} serves chain ${rpcChainId}, not ${config.chainId}`)
  const escrowToken = await client.readContract({ address: config.escrow, abi: creditEscrowAbi, functionName: 'token' }).catch((error: unknown) => {
    throw new ChainConfigError(`no CreditEscrow at ${config.escrow} on chain ${config.chainId}`, { cause: error })
  })
  if (getAddress(escrowToken) !== config.token) throw new ChainConfigError(`the escrow at ${config.escrow} holds ${escrowToken}, not the configured token ${config.token}`)
  const foreign = await batchOfAnotherEscrow(db, { chainId: config.chainId, escrow: config.escrow })
  if (foreign) throw new ChainConfigError(`this ledger settled batch ${foreign.id} to escrow ${foreign.escrow} on chain ${foreign.chainId}: a ledger follows one escrow, give it a fresh database for ${config.escrow}`)

  let settler: Settler | undefined
  if (clients) {
    const operator = await client.readContract({ address: config.escrow, abi: creditEscrowAbi, functionName: 'operator' })
    if (getAddress(operator) !== clients.walletClient.account.address) {
      log.warn({ operator, key: clients.walletClient.account.address }, "the operator key is not the escrow's operator: its batches will be refused")
    }
    settler = new Settler({
      ...clients,
      db,
      chainId: config.chainId,
      escrow: config.escrow,
      confirmations: config.confirmations,
      feeBps: config.operatorFeeBps,
      intervalMs: config.settlementIntervalMs,
      threshold: config.settlementThreshold,
      holder,
      pollIntervalMs: config.pollIntervalMs,
      log: log.child({ name: 'settler' }),
    })
  } else {
    log.warn('no operator key: the router credits deposits but does not settle usage')
  }
  const watcher = new EscrowWatcher({
    db,
    client,
    chainId: config.chainId,
    escrow: config.escrow,
    deploymentBlock: config.deploymentBlock,
    confirmations: config.confirmations,
    maxBlockRange: config.maxBlockRange,
    log: log.child({ name: 'escrow-watcher' }),
    onApplied: (events) => settler?.wake(events),
  })
  await watcher.init()

  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let ticking: Promise<void> = Promise.resolve()
  const tick = async () => {
    try {
      await watcher.catchUp()
      await settler?.step()
    } catch (error) {
      log.error({ err: error }, 'escrow link tick failed: retrying on the next one')
    }
  }
  const schedule = () => {
    if (stopped) return
    timer = setTimeout(() => {
      ticking = tick().finally(schedule)
    }, config.pollIntervalMs)
  }
  ticking = tick().finally(schedule)
  log.info({ chainId: config.chainId, escrow: config.escrow, confirmations: config.confirmations, settles: Boolean(settler) }, 'escrow link started')

  return {
    chainId: config.chainId,
    escrow: config.escrow,
    token: config.token,
    client,
    watcher,
    settler,
    async stop() {
      stopped = true
      clearTimeout(timer)
      await ticking
      await settler?.stop()
    },
  }
}
