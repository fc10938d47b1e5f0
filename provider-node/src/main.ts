import { readFile } from 'node:fs/promises'
import { hostname, homedir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { getAddress, isAddress } from 'viem'
import { ConfigError, PROVIDER_ENV, loadProviderConfig } from './config.ts'
import { IdentityError, dataDirPaths, loadIdentity } from './identity.ts'
import { INIT_ENGINES, runInit, type InitEngine } from './cli/init.ts'
import { runStatus } from './cli/status.ts'
import { runEarnings } from './cli/earnings.ts'
import { runClaim } from './cli/claim.ts'
import { EscrowError, EscrowLocation } from './cli/escrow.ts'
import { startProviderNode } from './node.ts'
import { NodeRunningError } from './ops/server.ts'

// The one place the environment is read.
const env = process.env
const DEFAULT_DATA_DIR = env.PROVIDER_DATA_DIR?.trim() || join(homedir(), '.agora', 'provider')

const DATA_DIR_HELP = `  --data-dir <dir>   the node's data dir: identity, config, ops socket
                     (default: $PROVIDER_DATA_DIR, else ~/.agora/provider; now ${DEFAULT_DATA_DIR})`

const HELP = {
  main: `provider-node: serve models on the Agora inference marketplace

Usage:
  provider-node init     create the node's identity and a commented config
  provider-node start    run the node
  provider-node status   what the running node announces, its routers, requests, tokens
  provider-node earnings what the escrow holds for the payout address, settled and not claimed
  provider-node claim    pay those earnings out to the payout address
  provider-node <command> --help

From zero: provider-node init --router <router multiaddr> --base-url http://127.0.0.1:8000/v1,
edit the config it wrote (models, prices), then provider-node start. See docs/provider.md.
`,
  init: `provider-node init: create the node's identity and a commented config

Usage: provider-node init [options]

Writes, in the data dir (0700), never overwriting what is there:
  peer.key      the node's libp2p key (its peer id)                mode 0600
  payout.key    the payout wallet's key, unless --payout-address   mode 0600
  provider.json the config, with a // comment on each field        mode 0600
Keys are never printed: back up the data dir.

Options:
${DATA_DIR_HELP}
  --config <file>    write the config here instead of <data dir>/provider.json
  --name <name>      display name in offers (default: this host's name)
  --router <addr>    a router multiaddr ending in /p2p/<peer id>; repeat for several
  --engine <kind>    ${INIT_ENGINES.join(' | ')} (default openai)
  --base-url <url>   the openai engine's server, including /v1 (default http://127.0.0.1:8000/v1)
  --model <id>       publish this engine model (repeatable; default: all the engine lists)
  --payout-address <0x…>    be paid at this address; its key stays in your wallet. Writes
                     payout-binding-request.json for the wallet to sign (EIP-712), e.g.
                     cast wallet sign --ledger --data --from-file <data dir>/payout-binding-request.json
  --payout-signature <0x…>  the wallet's signature of that request: run init again with it
  -h, --help         this text
`,
  start: `provider-node start: run the node

Usage: provider-node start [--data-dir <dir>] [--config <file>]

Reads the identity from the data dir and the config (JSON; keys starting with // are
comments). SIGTERM or Ctrl+C drains: the node offers no more capacity, finishes the requests
in flight (up to drainTimeoutMs), closes its connections and exits 0; a second signal stops
at once. Exit status 2: bad config or identity, named field by field.

Options:
${DATA_DIR_HELP}
  --config <file>    the config (default: $PROVIDER_CONFIG, else <data dir>/provider.json)
  -h, --help         this text

Environment overrides of the config:
${Object.entries(PROVIDER_ENV)
  .map(([variable, field]) => `  ${variable.padEnd(24)} ${field}`)
  .join('\n')}
`,
  status: `provider-node status: what the running node announces and has done

Usage: provider-node status [--data-dir <dir>] [--json]

Asks the node over the ops socket in its data dir (<data dir>/ops.sock; no port needed):
its offer (models, prices, capacity), its routers, requests served, tokens and earnings.
Exit status 0 when the node runs, 3 when nothing answers (then it shows the identity).

Options:
${DATA_DIR_HELP}
  --json             the status as JSON
  -h, --help         this text
`,
  earnings: `provider-node earnings: what the escrow holds for the payout address

Usage: provider-node earnings --rpc-url <url> --escrow <0x…> [options]

Reads earningsOf(payout) from the escrow: the provider's share of the usage the router has
settled on chain, not claimed yet. In micro-USD (token units of the 6-decimal stablecoin).

Options:
${DATA_DIR_HELP}
  --rpc-url <url>    the chain's JSON-RPC URL (default: $PROVIDER_CHAIN_RPC_URL)
  --escrow <0x…>     the CreditEscrow's address (default: $PROVIDER_ESCROW_ADDRESS)
  --address <0x…>    ask about this payout address instead of the data dir's
  --json             the earnings as JSON
  -h, --help         this text
`,
  claim: `provider-node claim: pay the earnings out to the payout address

Usage: provider-node claim --rpc-url <url> --escrow <0x…> [--data-dir <dir>]

Sends claim() to the escrow, signed with the payout key in the data dir (payout.key), and
waits for it: the escrow transfers all the payout address's earnings to it. The payout
address pays the gas, so it needs a little of the chain's native currency. With an
external payout address (its key in a wallet) call claim() from that wallet instead.
Exit status 0 when claimed or nothing was due, 1 when the claim failed.

Options:
${DATA_DIR_HELP}
  --rpc-url <url>    the chain's JSON-RPC URL (default: $PROVIDER_CHAIN_RPC_URL)
  --escrow <0x…>     the CreditEscrow's address (default: $PROVIDER_ESCROW_ADDRESS)
  -h, --help         this text
`,
} as const

/** The options of the commands that talk to the escrow. */
const ESCROW_OPTIONS = { 'data-dir': { type: 'string' }, 'rpc-url': { type: 'string' }, escrow: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const

const [command, ...rest] = process.argv.slice(2)

try {
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') process.stdout.write(HELP.main)
  else if (command === 'init') await init(rest)
  else if (command === 'start') await start(rest)
  else if (command === 'status') await status(rest)
  else if (command === 'earnings') await earnings(rest)
  else if (command === 'claim') await claim(rest)
  else usageError(`unknown command '${command}'`, HELP.main)
} catch (error) {
  if (error instanceof ConfigError) fail(`invalid config:\n${error.message}`)
  if (error instanceof IdentityError || error instanceof NodeRunningError) fail(error.message)
  if (error instanceof EscrowError) {
    process.stderr.write(`provider-node: ${error.message}\n`)
    process.exit(1)
  }
  if (error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) usageError(error.message, HELP[command as keyof typeof HELP] ?? HELP.main)
  throw error
}

async function init(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string' },
      config: { type: 'string' },
      name: { type: 'string' },
      router: { type: 'string', multiple: true },
      engine: { type: 'string' },
      'base-url': { type: 'string' },
      model: { type: 'string', multiple: true },
      'payout-address': { type: 'string' },
      'payout-signature': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) return void process.stdout.write(HELP.init)
  const engine = values.engine ?? 'openai'
  if (!INIT_ENGINES.includes(engine as InitEngine)) usageError(`--engine must be one of ${INIT_ENGINES.join(', ')}`, HELP.init)
  const dataDir = values['data-dir'] ?? DEFAULT_DATA_DIR
  const report = await runInit({
    dataDir,
    ...(values.config ? { configPath: values.config } : {}),
    name: values.name ?? hostname().slice(0, 64),
    routers: values.router ?? [],
    engine: engine as InitEngine,
    ...(values['base-url'] ? { baseUrl: values['base-url'] } : {}),
    models: values.model ?? [],
    ...(values['payout-address'] ? { payoutAddress: values['payout-address'] } : {}),
    ...(values['payout-signature'] ? { payoutSignature: values['payout-signature'] } : {}),
  })
  const { identity, configPath } = report
  const paths = dataDirPaths(dataDir)
  const dirFlag = values['data-dir'] ? ` --data-dir ${dataDir}` : ''
  const configFlag = values.config ? ` --config ${configPath}` : ''
  const lines = [
    `provider node in ${dataDir}`,
    `  config     ${configPath}${report.configWritten ? '' : ' (already there: left as it is)'}`,
    `  peer id    ${identity.peerId}${identity.created.includes(paths.peerKey) ? ' (new key: peer.key)' : ''}`,
    identity.payoutKind === 'key'
      ? `  payout     ${identity.payoutAddress}${identity.created.includes(paths.payoutKey) ? ' (new key: payout.key; it receives your earnings, back it up)' : ' (key: payout.key)'}`
      : `  payout     ${identity.payoutAddress} (key in your wallet)`,
  ]
  if (identity.bindingPending) {
    lines.push(
      '',
      `The payout address must sign this node's peer id before it can start. Sign ${paths.bindingRequest}`,
      `(EIP-712 typed data) with its wallet, e.g.`,
      `  cast wallet sign --ledger --data --from-file ${paths.bindingRequest}`,
      `then: provider-node init${dirFlag} --payout-address ${identity.payoutAddress} --payout-signature 0x…`,
    )
  }
  lines.push('', 'Next:')
  if (!values.router?.length && report.configWritten) lines.push(`  add a router to "bootstrap" in ${configPath} (or pass --router next time)`)
  lines.push(`  review the models and prices in ${configPath}`, `  provider-node start${dirFlag}${configFlag}`, `  provider-node status${dirFlag}`, '')
  process.stdout.write(lines.join('\n'))
}

async function start(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { 'data-dir': { type: 'string' }, config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } })
  if (values.help) return void process.stdout.write(HELP.start)
  const dataDir = values['data-dir'] ?? DEFAULT_DATA_DIR
  const paths = dataDirPaths(dataDir)
  const configPath = values.config ?? (env.PROVIDER_CONFIG?.trim() || paths.config)
  const text = await readFile(configPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') fail(`no config at ${configPath}: run \`provider-node init\` (or pass --config)`)
    throw error
  })
  let file: unknown
  try {
    file = JSON.parse(text)
  } catch (error) {
    fail(`invalid config: ${configPath} is not JSON: ${(error as Error).message}`)
  }
  const config = loadProviderConfig(file, env)
  const identity = await loadIdentity(dataDir)
  const node = await startProviderNode(config, { identity, opsSocketPath: paths.opsSocket })
  let signals = 0
  const shutdown = () => {
    signals++
    void (signals === 1 ? node.drain() : node.stop()).then(() => process.exit(0))
  }
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
}

async function status(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { 'data-dir': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } })
  if (values.help) return void process.stdout.write(HELP.status)
  const report = await runStatus({ dataDir: values['data-dir'] ?? DEFAULT_DATA_DIR, json: values.json ?? false })
  process.stdout.write(report.output)
  if (!report.running) process.exitCode = 3
}

/** `--rpc-url` and `--escrow`, else their environment variables, checked. */
function escrowLocation(values: { 'rpc-url'?: string | undefined; escrow?: string | undefined }, help: string): EscrowLocation {
  const parsed = EscrowLocation.safeParse({ rpcUrl: values['rpc-url'] ?? (env.PROVIDER_CHAIN_RPC_URL?.trim() || undefined), escrow: values.escrow ?? (env.PROVIDER_ESCROW_ADDRESS?.trim() || undefined) })
  if (!parsed.success) usageError(parsed.error.issues.map((issue) => issue.message).join('\n'), help)
  return parsed.data
}

async function earnings(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { ...ESCROW_OPTIONS, address: { type: 'string' }, json: { type: 'boolean' } } })
  if (values.help) return void process.stdout.write(HELP.earnings)
  const location = escrowLocation(values, HELP.earnings)
  if (values.address !== undefined && !isAddress(values.address)) usageError(`--address ${values.address} is not an EVM address`, HELP.earnings)
  const report = await runEarnings({ ...location, dataDir: values['data-dir'] ?? DEFAULT_DATA_DIR, json: values.json ?? false, ...(values.address ? { address: getAddress(values.address) } : {}) })
  process.stdout.write(report.output)
}

async function claim(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: ESCROW_OPTIONS })
  if (values.help) return void process.stdout.write(HELP.claim)
  const location = escrowLocation(values, HELP.claim)
  const report = await runClaim({ ...location, dataDir: values['data-dir'] ?? DEFAULT_DATA_DIR })
  process.stdout.write(report.output)
}

function fail(message: string): never {
  process.stderr.write(`provider-node: ${message}\n`)
  process.exit(2)
}

function usageError(message: string, help: string): never {
  process.stderr.write(`provider-node: ${message}\n\n${help}`)
  process.exit(2)
}
