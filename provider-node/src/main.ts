import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { ConfigError, loadProviderConfig } from './config.ts'
import { startProviderNode } from './node.ts'

const HELP = `provider-node: serve models on the Agora inference marketplace

Usage:
  provider-node start --config <file.json>   run the node
  provider-node --help                       this text

The config file is JSON (see docs/provider.md for every field). Environment overrides:
  PROVIDER_NAME        display name in offers
  PROVIDER_BOOTSTRAP   comma-separated router multiaddrs (…/p2p/<peer id>)
  PROVIDER_LISTEN      comma-separated libp2p listen multiaddrs
  PROVIDER_PAYOUT_KEY  payout wallet private key (0x…)
  LOG_LEVEL            fatal|error|warn|info|debug|trace|silent
`

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
})

if (values.help || positionals.length === 0) {
  process.stdout.write(HELP)
} else if (positionals[0] === 'start') {
  try {
    const file: unknown = values.config ? JSON.parse(readFileSync(values.config, 'utf8')) : {}
    const node = await startProviderNode(loadProviderConfig(file, process.env))
    const shutdown = () => void node.stop().then(() => process.exit(0))
    process.once('SIGINT', shutdown)
    process.once('SIGTERM', shutdown)
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof SyntaxError)) throw error
    process.stderr.write(`provider-node: invalid config:\n${error.message}\n`)
    process.exit(2)
  }
} else {
  process.stderr.write(`provider-node: unknown command '${positionals[0]}'\n\n${HELP}`)
  process.exit(2)
}
