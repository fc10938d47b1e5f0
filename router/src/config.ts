import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { DEFAULT_REQUEST_TIMEOUT_MS } from '@agora/protocol'
import { ChainConfig } from './chain/config.ts'
import { RoutingConfig } from './routing/config.ts'

const list = z
  .string()
  .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean))

/** The router's configuration, parsed once in main from the environment (see docs). */
export const RouterConfig = z.object({
  host: z.string().default('127.0.0.1'),
  /** HTTP port; 0 picks a free one. */
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  /** libp2p listen multiaddrs. */
  p2pListen: z.array(z.string()).default(['/ip4/127.0.0.1/tcp/0']),
  /** Multiaddrs to announce instead of the listen ones. */
  p2pAnnounce: z.array(z.string()).default([]),
  /** libp2p identity, a protobuf-encoded private key in base64; a fresh one when absent. */
  peerPrivateKey: z.string().optional(),
  /** PostgreSQL URL; when unset the router keeps its ledger in embedded PGlite under `dataDir`. */
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  /** Where embedded PGlite keeps its files; in memory when empty (tests). */
  dataDir: z.string().default('.data/router'),
  /** Redis URL; when set, rate limits are shared by every router replica. */
  redisUrl: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').optional(),
  /** Bearer token of the management API under `/api`; the API is closed without one. */
  adminToken: z.string().min(16, 'the admin token must be at least 16 characters').optional(),
  /**
   * Origins (`scheme://host[:port]`) the console is served from, which a Sign-In with Ethereum
   * message must name; empty accepts the origin each request reaches the router at.
   */
  signInOrigins: z.array(z.url().transform((url) => new URL(url).origin)).default([]),
  /** The chain id a Sign-In with Ethereum message must name (31337: the local anvil chain). */
  signInChainId: z.coerce.number().int().positive().default(31337),
  /** How long a console session lasts after sign-in. */
  sessionTtlMs: z.coerce.number().int().positive().default(24 * 60 * 60_000),
  /** The console's build, served at `/console` (`npm run -w @agora/console build`). */
  consoleDir: z.string().default(fileURLToPath(new URL('../../console/dist', import.meta.url))),
  /** How long a hold outlives its request's deadline before the reaper may release it (a crashed router's holds). */
  holdGraceMs: z.coerce.number().int().nonnegative().default(60_000),
  /** How often holds past their deadline are released. */
  reapIntervalMs: z.coerce.number().int().positive().default(10_000),
  /**
   * `off` serves without charging: keys are still checked and rate-limited, but nothing is
   * held, charged or recorded (a private deployment, and the benchmark's baseline).
   */
  billing: z.enum(['on', 'off']).default('on'),
  routing: RoutingConfig.prefault({}),
  /** The escrow on chain: deposits become credits, usage settles to providers. Off when absent. */
  chain: ChainConfig.optional(),
  requestTimeoutMs: z.coerce.number().int().positive().default(DEFAULT_REQUEST_TIMEOUT_MS),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
})
export type RouterConfig = z.infer<typeof RouterConfig>
export type RouterConfigInput = z.input<typeof RouterConfig>

/** Environment variables the router reads, and the config field each sets. */
const RouterEnv = z.object({
  ROUTER_HOST: z.string().optional(),
  ROUTER_PORT: z.string().optional(),
  ROUTER_P2P_LISTEN: list.optional(),
  ROUTER_P2P_ANNOUNCE: list.optional(),
  ROUTER_PEER_KEY: z.string().optional(),
  DATABASE_URL: z.string().optional(),
  ROUTER_DATA_DIR: z.string().optional(),
  REDIS_URL: z.string().optional(),
  ROUTER_HOLD_GRACE_MS: z.string().optional(),
  ROUTER_REAP_INTERVAL_MS: z.string().optional(),
  ROUTER_BILLING: z.string().optional(),
  ROUTER_ADMIN_TOKEN: z.string().optional(),
  ROUTER_SIGNIN_ORIGINS: list.optional(),
  ROUTER_SIGNIN_CHAIN_ID: z.string().optional(),
  ROUTER_SESSION_TTL_MS: z.string().optional(),
  ROUTER_CONSOLE_DIR: z.string().optional(),
  ROUTER_REQUEST_TIMEOUT_MS: z.string().optional(),
  ROUTER_CHAIN_RPC_URL: z.string().optional(),
  ROUTER_CHAIN_ID: z.string().optional(),
  ROUTER_ESCROW_ADDRESS: z.string().optional(),
  ROUTER_TOKEN_ADDRESS: z.string().optional(),
  ROUTER_ESCROW_DEPLOYMENT_BLOCK: z.string().optional(),
  ROUTER_CHAIN_CONFIRMATIONS: z.string().optional(),
  ROUTER_OPERATOR_KEY: z.string().optional(),
  ROUTER_OPERATOR_KEY_FILE: z.string().optional(),
  ROUTER_CHAIN_POLL_INTERVAL_MS: z.string().optional(),
  ROUTER_CHAIN_MAX_BLOCK_RANGE: z.string().optional(),
  ROUTER_SETTLEMENT_INTERVAL_MS: z.string().optional(),
  ROUTER_SETTLEMENT_THRESHOLD: z.string().optional(),
  ROUTER_OPERATOR_FEE_BPS: z.string().optional(),
  LOG_LEVEL: z.string().optional(),
})

/**
 * Builds the router config from environment variables.
 * @example
 * const config = routerConfigFromEnv(process.env) // in main.ts only
 */
export function routerConfigFromEnv(env: Record<string, string | undefined>): RouterConfig {
  const e = RouterEnv.parse(env)
  return RouterConfig.parse({
    host: e.ROUTER_HOST,
    port: e.ROUTER_PORT,
    p2pListen: e.ROUTER_P2P_LISTEN,
    p2pAnnounce: e.ROUTER_P2P_ANNOUNCE,
    peerPrivateKey: e.ROUTER_PEER_KEY,
    databaseUrl: e.DATABASE_URL || undefined,
    dataDir: e.ROUTER_DATA_DIR,
    redisUrl: e.REDIS_URL || undefined,
    holdGraceMs: e.ROUTER_HOLD_GRACE_MS,
    reapIntervalMs: e.ROUTER_REAP_INTERVAL_MS,
    billing: e.ROUTER_BILLING,
    adminToken: e.ROUTER_ADMIN_TOKEN || undefined,
    signInOrigins: e.ROUTER_SIGNIN_ORIGINS,
    signInChainId: e.ROUTER_SIGNIN_CHAIN_ID,
    sessionTtlMs: e.ROUTER_SESSION_TTL_MS,
    consoleDir: e.ROUTER_CONSOLE_DIR || undefined,
    requestTimeoutMs: e.ROUTER_REQUEST_TIMEOUT_MS,
    // Chain features are on when an RPC URL is set; the rest is then checked by ChainConfig.
    chain: e.ROUTER_CHAIN_RPC_URL
      ? {
          rpcUrl: e.ROUTER_CHAIN_RPC_URL,
          chainId: e.ROUTER_CHAIN_ID,
          escrow: e.ROUTER_ESCROW_ADDRESS,
          token: e.ROUTER_TOKEN_ADDRESS,
          deploymentBlock: e.ROUTER_ESCROW_DEPLOYMENT_BLOCK,
          confirmations: e.ROUTER_CHAIN_CONFIRMATIONS,
          operatorKey: e.ROUTER_OPERATOR_KEY || undefined,
          operatorKeyFile: e.ROUTER_OPERATOR_KEY_FILE || undefined,
          pollIntervalMs: e.ROUTER_CHAIN_POLL_INTERVAL_MS,
          maxBlockRange: e.ROUTER_CHAIN_MAX_BLOCK_RANGE,
          settlementIntervalMs: e.ROUTER_SETTLEMENT_INTERVAL_MS,
          settlementThreshold: e.ROUTER_SETTLEMENT_THRESHOLD,
          operatorFeeBps: e.ROUTER_OPERATOR_FEE_BPS,
        }
      : undefined,
    logLevel: e.LOG_LEVEL,
  })
}
