import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { defineChain, isAddress, type Address, type Hex } from 'viem'
import { z } from 'zod'
import { createChainClients } from '../src/clients.ts'
import { deployMarketplaceContracts } from '../src/deploy.ts'

const HELP = `Deploys the CreditEscrow (and, with --mock-token, a MockUSDC) to an EVM chain.

Usage: npm run -w @agora/contracts deploy -- [options]

  --rpc-url <url>          JSON-RPC endpoint of the chain (required)
  --chain-id <id>          the chain's id; checked against the RPC before anything is sent (required)
  --key-file <path>        file holding the deployer's private key (0x + 64 hex digits);
                           without it the key is read from DEPLOYER_PRIVATE_KEY
  --operator <address>     the account that settles batches: the router's operator key (required)
  --treasury <address>     the account settlement fees are credited to (required)
  --owner <address>        the escrow's owner (sets operator, treasury, thaw period; pauses);
                           the deployer by default. Ownership moves later in two steps.
  --token <address>        the existing 6-decimal stablecoin to hold (e.g. USDC)
  --mock-token             deploy a MockUSDC instead (anyone can mint it: test networks only)
  --thaw-seconds <n>       seconds a withdrawal request waits (60 to 2592000); default 86400
  --confirmations <n>      blocks to wait for after each deployment; default 1 (inclusion)
  -h, --help               this text

Prints the deployment as JSON on stdout: the addresses and the block to read escrow events from.
`

const address = z.string().refine((value): value is Address => isAddress(value), 'must be a 0x address')
const privateKey = z
  .string()
  .trim()
  .regex(/^0x[0-9a-fA-F]{64}$/, 'must be 0x followed by 64 hex digits')
  .transform((value) => value as Hex)

const DeployOptions = z
  .object({
    rpcUrl: z.url(),
    chainId: z.coerce.number().int().positive(),
    privateKey,
    operator: address,
    treasury: address,
    owner: address.optional(),
    token: address.optional(),
    mockToken: z.boolean(),
    thawSeconds: z.coerce.number().int().min(60).max(30 * 24 * 3600),
    confirmations: z.coerce.number().int().min(1),
  })
  .refine((options) => (options.token === undefined) === options.mockToken, { message: 'give exactly one of --token <address> and --mock-token', path: ['token'] })

const { values } = parseArgs({
  options: {
    'rpc-url': { type: 'string' },
    'chain-id': { type: 'string' },
    'key-file': { type: 'string' },
    operator: { type: 'string' },
    treasury: { type: 'string' },
    owner: { type: 'string' },
    token: { type: 'string' },
    'mock-token': { type: 'boolean', default: false },
    'thaw-seconds': { type: 'string', default: '86400' },
    confirmations: { type: 'string', default: '1' },
    help: { type: 'boolean', short: 'h', default: false },
  },
})

if (values.help) {
  process.stdout.write(HELP)
  process.exit(0)
}

const parsed = DeployOptions.safeParse({
  rpcUrl: values['rpc-url'],
  chainId: values['chain-id'],
  privateKey: values['key-file'] ? await readFile(values['key-file'], 'utf8') : process.env.DEPLOYER_PRIVATE_KEY,
  operator: values.operator,
  treasury: values.treasury,
  owner: values.owner,
  token: values.token,
  mockToken: values['mock-token'],
  thawSeconds: values['thaw-seconds'],
  confirmations: values.confirmations,
})
if (!parsed.success) {
  process.stderr.write(`${z.prettifyError(parsed.error)}\n\nSee --help.\n`)
  process.exit(2)
}
const options = parsed.data

const chain = defineChain({
  id: options.chainId,
  name: `chain ${options.chainId}`,
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [options.rpcUrl] } },
})
const clients = createChainClients({ rpcUrl: options.rpcUrl, chain, privateKey: options.privateKey })
const rpcChainId = await clients.publicClient.getChainId()
if (rpcChainId !== options.chainId) {
  process.stderr.write(`The RPC serves chain ${rpcChainId}, not ${options.chainId}: nothing was sent.\n`)
  process.exit(1)
}

const deployer = clients.walletClient.account.address
process.stderr.write(`Deploying from ${deployer} to chain ${options.chainId}…\n`)
const deployment = await deployMarketplaceContracts({
  ...clients,
  operator: options.operator,
  treasury: options.treasury,
  thawSeconds: options.thawSeconds,
  confirmations: options.confirmations,
  ...(options.owner ? { owner: options.owner } : {}),
  ...(options.token ? { token: options.token } : {}),
})
process.stdout.write(
  `${JSON.stringify(
    {
      chainId: options.chainId,
      escrow: deployment.escrow,
      token: deployment.token,
      mockToken: deployment.mockToken,
      deploymentBlock: deployment.deploymentBlock.toString(),
      owner: options.owner ?? deployer,
      operator: options.operator,
      treasury: options.treasury,
      thawSeconds: options.thawSeconds,
    },
    null,
    2,
  )}\n`,
)
