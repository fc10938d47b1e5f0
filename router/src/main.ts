import { routerConfigFromEnv } from './config.ts'
import { startRouter } from './router.ts'

const HELP = `agora-router: the OpenAI-compatible router of the Agora marketplace

Usage: agora-router [--help]

Configuration comes from the environment:
  DATABASE_URL               PostgreSQL URL of the ledger (default: embedded PGlite in ROUTER_DATA_DIR)
  ROUTER_DATA_DIR            where embedded PGlite keeps its files (default .data/router)
  REDIS_URL                  Redis URL; rate limits are then shared by every replica (default: per process)
  ROUTER_ADMIN_TOKEN         Bearer token of the management API under /api (only wallet sessions when unset)
  ROUTER_HOST                HTTP host (default 127.0.0.1)
  ROUTER_PORT                HTTP port (default 8080, 0 = any free port)
  ROUTER_P2P_LISTEN          comma-separated libp2p listen multiaddrs (default /ip4/127.0.0.1/tcp/0)
  ROUTER_P2P_ANNOUNCE        comma-separated multiaddrs to announce instead
  ROUTER_PEER_KEY            libp2p private key, protobuf in base64 (default: a fresh one)
  ROUTER_REQUEST_TIMEOUT_MS  deadline of one request (default 300000)
  ROUTER_HOLD_GRACE_MS       how long a hold outlives its deadline before the reaper releases it (default 60000)
  ROUTER_REAP_INTERVAL_MS    how often expired holds are released (default 10000)
  ROUTER_BILLING             on (default) or off: off checks keys but holds, charges and records nothing
  LOG_LEVEL                  fatal|error|warn|info|debug|trace|silent (default info)

The console (docs/console.md), served at /console:
  ROUTER_CONSOLE_DIR         the console's build (default console/dist of this checkout)
  ROUTER_SIGNIN_ORIGINS      comma-separated origins the console is served from, which sign-in messages
                             must name (default: the origin each request reaches the router at)
  ROUTER_SIGNIN_CHAIN_ID     the chain id sign-in messages must name (default 31337)
  ROUTER_SESSION_TTL_MS      how long a console session lasts (default 86400000)

The escrow on chain (docs/chain.md); off unless ROUTER_CHAIN_RPC_URL is set:
  ROUTER_CHAIN_RPC_URL            JSON-RPC URL of the chain
  ROUTER_CHAIN_ID                 the chain's id, checked against the RPC
  ROUTER_ESCROW_ADDRESS           the CreditEscrow contract
  ROUTER_TOKEN_ADDRESS            its stablecoin, checked against the escrow
  ROUTER_ESCROW_DEPLOYMENT_BLOCK  the block the escrow was deployed in: where reading starts
  ROUTER_CHAIN_CONFIRMATIONS      blocks an event or a settlement needs, its own included (default 12)
  ROUTER_OPERATOR_KEY             the operator's private key, which signs settlements
  ROUTER_OPERATOR_KEY_FILE        or a file holding it (without either: deposits only, no settlement)
  ROUTER_CHAIN_POLL_INTERVAL_MS   how often the chain is read (default 5000)
  ROUTER_CHAIN_MAX_BLOCK_RANGE    most blocks per eth_getLogs (default 1000)
  ROUTER_SETTLEMENT_INTERVAL_MS   settle once the oldest unsettled charge is this old (default 3600000)
  ROUTER_SETTLEMENT_THRESHOLD     or once unsettled charges reach this many micro-USD (default 100000000)
  ROUTER_OPERATOR_FEE_BPS         the operator's fee in basis points, rounded down (default 0)
`

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(HELP)
} else {
  const router = await startRouter(routerConfigFromEnv(process.env))
  const shutdown = () => void router.stop().then(() => process.exit(0))
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)
}
