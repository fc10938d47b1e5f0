import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import type { Socket } from 'node:net'
import { createPublicClient, defineChain, http, type Address, type Chain, type Hex } from 'viem'
import { anvil as anvilChain } from 'viem/chains'

/** A funded account of the local chain: anvil's well-known dev keys, public and for local use only. */
export interface DevAccount {
  address: Address
  privateKey: Hex
}

/** The ten accounts anvil derives from its default mnemonic `test test … junk`, each with 10,000 ETH. */
export const ANVIL_DEV_ACCOUNTS = [
  { address: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', privateKey: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80' },
  { address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', privateKey: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d' },
  { address: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC', privateKey: '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a' },
  { address: '0x90F79bf6EB2c4f870365E785982E1f101E93b906', privateKey: '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6' },
  { address: '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65', privateKey: '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a' },
  { address: '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc', privateKey: '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba' },
  { address: '0x976EA74026E726554dB657fA54763abd0C3a0aa9', privateKey: '0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e' },
  { address: '0x14dC79964da2C08b23698B3D3cc7Ca32193d9955', privateKey: '0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356' },
  { address: '0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f', privateKey: '0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97' },
  { address: '0xa0Ee7A142d267C1f36714E4a8F75612F20a79720', privateKey: '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6' },
] as const satisfies readonly DevAccount[]

export interface StartAnvilParameters {
  /** Port on 127.0.0.1; 0 (the default) lets anvil pick a free one. */
  port?: number
  /** Chain id; 31337 by default. */
  chainId?: number
  /** Keep the chain in this JSON file (anvil `--state`): loaded on start when it exists, written on stop. */
  stateFile?: string
  /** Seconds between blocks; by default every transaction is mined at once in its own block. */
  blockTime?: number
  /** How long to wait for the RPC to answer, in ms; 30 s by default. */
  timeoutMs?: number
}

/** A running anvil. */
export interface Anvil {
  /** `http://127.0.0.1:<port>`. */
  rpcUrl: string
  /** viem's anvil chain with this id and RPC URL. */
  chain: Chain
  /** The funded dev accounts, {@link ANVIL_DEV_ACCOUNTS} (a tuple, so `const [deployer, user] = accounts` is typed). */
  accounts: typeof ANVIL_DEV_ACCOUNTS
  /** Stops anvil (which writes `stateFile`, if set) and waits until it has exited. */
  stop(): Promise<void>
}

export type StartAnvilReturnType = Anvil

/**
 * Runs `sh -c WATCHDOG anvil …`: anvil in the background and `cat` on our stdin pipe. The kernel closes
 * that pipe when this process ends, however it ends (even SIGKILL), and the shell then stops anvil, so
 * no anvil outlives its parent. `stop()` closes the pipe itself.
 */
const WATCHDOG = `"$0" "$@" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid; exit 0' INT TERM HUP
cat >/dev/null
kill $pid 2>/dev/null
wait $pid`

const LISTENING = /Listening on ([\d.]+):(\d+)/

/** The anvil binary of @foundry-rs/anvil's platform package (its postinstall is not relied on). */
export function anvilBinary(): string {
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch as string]
  if (!arch) throw new Error(`anvil: no binary for ${process.platform}-${process.arch}`)
  const require = createRequire(import.meta.url)
  const name = process.platform === 'win32' ? 'anvil.exe' : 'anvil'
  return require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/bin/${name}`)
}

/**
 * Starts anvil on 127.0.0.1 and resolves once its RPC answers. It is stopped by `stop()` and,
 * at the latest, when this process exits.
 * @example
 * const chain = await startAnvil()
 * const client = createPublicClient({ chain: chain.chain, transport: http(chain.rpcUrl) })
 * await chain.stop()
 */
export async function startAnvil({ port = 0, chainId = anvilChain.id, stateFile, blockTime, timeoutMs = 30_000 }: StartAnvilParameters = {}): Promise<StartAnvilReturnType> {
  const args = ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(chainId), '--accounts', String(ANVIL_DEV_ACCOUNTS.length)]
  if (stateFile) args.push('--state', stateFile)
  if (blockTime !== undefined) args.push('--block-time', String(blockTime))
  const child = spawn('/bin/sh', ['-c', WATCHDOG, anvilBinary(), ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
  // An unstopped anvil must not keep this process alive; exiting closes the pipe and stops it.
  child.unref()
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as Socket).unref()

  let output = ''
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const listening = new Promise<string>((resolve, reject) => {
    const onOutput = (chunk: Buffer) => {
      // Kept short: anvil logs every transaction and the stream is drained for the whole run.
      output = (output + chunk.toString()).slice(-4000)
      const match = LISTENING.exec(output)
      if (match) resolve(`http://${match[1]}:${match[2]}`)
    }
    child.stdout.on('data', onOutput)
    child.stderr.on('data', onOutput)
    child.once('exit', (code) => reject(new Error(`anvil exited (code ${code}) before listening:\n${output}`)))
    child.once('error', reject)
  })
  // A failed start rejects this after the caller has given up on it.
  listening.catch(() => undefined)
  const stop = async () => {
    child.ref()
    child.stdin.end()
    await exited
  }

  try {
    const rpcUrl = await withTimeout(listening, timeoutMs, () => `anvil did not listen within ${timeoutMs} ms:\n${output}`)
    const chain = defineChain({ ...anvilChain, id: chainId, rpcUrls: { default: { http: [rpcUrl] } } })
    await withTimeout(createPublicClient({ chain, transport: http(rpcUrl, { retryCount: 10, retryDelay: 100 }) }).getChainId(), timeoutMs, () => `anvil's RPC at ${rpcUrl} did not answer`)
    return { rpcUrl, chain, accounts: ANVIL_DEV_ACCOUNTS, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}
