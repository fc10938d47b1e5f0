import { getAddress, isAddress, type Address, type Hex } from 'viem'
import { z } from 'zod'

const EvmAddress = z
  .string()
  .refine((value) => isAddress(value), 'must be a 0x address')
  .transform((value): Address => getAddress(value))

const PrivateKey = z
  .string()
  .trim()
  .regex(/^0x[0-9a-fA-F]{64}$/, 'must be 0x followed by 64 hex digits')
  .transform((value) => value as Hex)

/**
 * The router's side of the escrow: which chain and contract it reads deposits from and
 * settles usage to, and how. docs/chain.md explains each field. Without it (no RPC URL)
 * the router runs on its off-chain ledger alone.
 */
export const ChainConfig = z
  .object({
    /** JSON-RPC endpoint (HTTP) of the chain. */
    rpcUrl: z.url(),
    /** The chain's id, checked against the RPC on start. */
    chainId: z.coerce.number().int().positive(),
    /** The CreditEscrow contract. */
    escrow: EvmAddress,
    /** The stablecoin it holds, checked against the escrow's `token()` on start. */
    token: EvmAddress,
    /** The block the escrow was deployed in: where the watcher starts reading. */
    deploymentBlock: z.coerce.bigint().nonnegative(),
    /** Blocks a log must have (its own included) before it is applied: 1 is as soon as it is mined. */
    confirmations: z.coerce.number().int().min(1).default(12),
    /** The operator's private key, which signs `settle`; without it (nor a file) the router only watches. */
    operatorKey: PrivateKey.optional(),
    /** A file holding the operator's private key, read on start. */
    operatorKeyFile: z.string().min(1).optional(),
    /** How often the watcher reads new blocks and the settler looks for work. */
    pollIntervalMs: z.coerce.number().int().positive().default(5_000),
    /** The most blocks one `eth_getLogs` call covers (RPC providers cap it). */
    maxBlockRange: z.coerce.bigint().positive().default(1_000n),
    /** A batch is due once the oldest unsettled charge is this old. */
    settlementIntervalMs: z.coerce.number().int().positive().default(3_600_000),
    /** A batch is due once unsettled charges add up to this many micro-USD. */
    settlementThreshold: z.coerce.bigint().positive().default(100_000_000n),
    /** The operator's fee on settled usage, in basis points (100 = 1 %), rounded down per provider payout. */
    operatorFeeBps: z.coerce.number().int().min(0).max(10_000).default(0),
  })
  .refine((config) => !(config.operatorKey && config.operatorKeyFile), { message: 'give the operator key or a key file, not both', path: ['operatorKey'] })
export type ChainConfig = z.infer<typeof ChainConfig>
export type ChainConfigInput = z.input<typeof ChainConfig>
