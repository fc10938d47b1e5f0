import { z } from 'zod'
import { DEFAULT_REQUEST_TIMEOUT_MS } from '@agora/protocol'

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
  /** Accepted Bearer keys (until accounts and credits arrive with the ledger). */
  apiKeys: z.array(z.string().min(16, 'API keys must be at least 16 characters')).min(1, 'at least one API key is needed'),
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
  ROUTER_API_KEYS: list.optional(),
  ROUTER_REQUEST_TIMEOUT_MS: z.string().optional(),
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
    apiKeys: e.ROUTER_API_KEYS ?? [],
    requestTimeoutMs: e.ROUTER_REQUEST_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
  })
}
