import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { getAddress, isAddress, isHex, type Address, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import { z } from 'zod'
import { AGORA_EIP712_DOMAIN, PEER_BINDING_TYPES, verifyPeerBinding } from '@agora/protocol'

/**
 * The files of a node's data directory. The directory is the node: its identity, its
 * config (by default) and the socket `provider-node status` talks to.
 */
export function dataDirPaths(dataDir: string) {
  return {
    dataDir,
    config: join(dataDir, 'provider.json'),
    /** libp2p private key, protobuf in base64: the node's peer id. */
    peerKey: join(dataDir, 'peer.key'),
    /** The payout wallet's private key (`0x…`), when the node holds it. */
    payoutKey: join(dataDir, 'payout.key'),
    /** An external payout address and its signed binding, when the key stays in a wallet. */
    payoutAddress: join(dataDir, 'payout.json'),
    /** The EIP-712 statement the external wallet signs. */
    bindingRequest: join(dataDir, 'payout-binding-request.json'),
    /** The ops API of the running node, for `provider-node status`. */
    opsSocket: join(dataDir, 'ops.sock'),
  }
}
export type DataDirPaths = ReturnType<typeof dataDirPaths>

/** Who the node is: its libp2p key, and who gets paid for its work. */
export interface NodeIdentity {
  peerKey: PrivateKey
  payout: { kind: 'key'; account: PrivateKeyAccount; /** The same key, raw: receipts are signed with it. */ privateKey: Hex } | { kind: 'address'; address: Address; binding: Hex }
}

/** A problem with the identity files, phrased for the operator. */
export class IdentityError extends Error {
  override name = 'IdentityError'
}

const PayoutAddressFile = z.strictObject({
  address: z.string().refine(isAddress, 'must be an EVM address').transform((value) => getAddress(value)),
  binding: z.string().regex(/^0x[0-9a-fA-F]{130}$/).optional(),
})

export interface InitIdentityParameters {
  /** Be paid at this address, whose key stays in a wallet elsewhere (instead of a key in the data dir). */
  payoutAddress?: string
  /** The wallet's EIP-712 signature of the binding request, completing `payoutAddress`. */
  payoutSignature?: string
}

export interface InitIdentityResult {
  peerId: string
  payoutAddress: Address
  /** `key`: the payout key is in the data dir; `address`: it is elsewhere. */
  payoutKind: 'key' | 'address'
  /** Whether an external payout address still waits for its signed binding. */
  bindingPending: boolean
  /** Files written now (existing keys are never overwritten). */
  created: string[]
}

/**
 * Creates the node's identity in `dataDir`, keeping whatever is already there: a libp2p key
 * and a payout key, or an external payout address with the statement its wallet must sign.
 * Key files are created with mode 0600 (the directory 0700) and never printed.
 * @example
 * const { peerId, payoutAddress } = await initIdentity('/var/lib/agora-provider')
 */
export async function initIdentity(dataDir: string, { payoutAddress, payoutSignature }: InitIdentityParameters = {}): Promise<InitIdentityResult> {
  const paths = dataDirPaths(dataDir)
  const created: string[] = []
  await mkdir(dataDir, { recursive: true, mode: 0o700 })

  let peerKey = await readPeerKey(paths)
  if (!peerKey) {
    peerKey = await generateKeyPair('Ed25519')
    await writeSecret(paths.peerKey, `${Buffer.from(privateKeyToProtobuf(peerKey)).toString('base64')}\n`)
    created.push(paths.peerKey)
  }
  const peerId = peerIdFromPrivateKey(peerKey).toString()

  const existingKey = await readPayoutKey(paths)
  if (payoutAddress !== undefined) {
    if (!isAddress(payoutAddress)) throw new IdentityError(`--payout-address ${payoutAddress} is not an EVM address`)
    if (existingKey) throw new IdentityError(`${paths.payoutKey} already holds the payout key of ${privateKeyToAccount(existingKey).address}; move it away first to be paid at another address`)
    const address = getAddress(payoutAddress)
    const current = await readPayoutAddress(paths)
    if (current?.address !== address) {
      await writeSecret(paths.payoutAddress, `${JSON.stringify({ address }, null, 2)}\n`, { replace: true })
      created.push(paths.payoutAddress)
    }
    await writeSecret(paths.bindingRequest, `${JSON.stringify(bindingRequest(peerId, address), null, 2)}\n`, { replace: true })
    created.push(paths.bindingRequest)
  } else if (!existingKey && !(await readPayoutAddress(paths))) {
    const key = generatePrivateKey()
    await writeSecret(paths.payoutKey, `${key}\n`)
    created.push(paths.payoutKey)
  }

  if (payoutSignature !== undefined) {
    const current = await readPayoutAddress(paths)
    if (!current) throw new IdentityError('--payout-signature completes --payout-address: give the address first')
    if (!isHex(payoutSignature) || !(await verifyPeerBinding(peerId, current.address, payoutSignature))) {
      throw new IdentityError(`--payout-signature is not ${current.address}'s signature of ${paths.bindingRequest}`)
    }
    await writeSecret(paths.payoutAddress, `${JSON.stringify({ address: current.address, binding: payoutSignature }, null, 2)}\n`, { replace: true })
    if (!created.includes(paths.payoutAddress)) created.push(paths.payoutAddress)
  }

  const key = await readPayoutKey(paths)
  if (key) return { peerId, payoutAddress: privateKeyToAccount(key).address, payoutKind: 'key', bindingPending: false, created }
  const external = (await readPayoutAddress(paths))!
  return { peerId, payoutAddress: external.address, payoutKind: 'address', bindingPending: external.binding === undefined, created }
}

/**
 * Loads the identity `initIdentity` made. Refuses key files that others may read (as ssh
 * does) and an external payout address whose binding is missing or not valid for this peer.
 */
export async function loadIdentity(dataDir: string): Promise<NodeIdentity> {
  const paths = dataDirPaths(dataDir)
  const peerKey = await readPeerKey(paths)
  if (!peerKey) throw new IdentityError(`no node identity in ${dataDir}: run \`provider-node init --data-dir ${dataDir}\` first`)
  const privateKey = await readPayoutKey(paths)
  if (privateKey) return { peerKey, payout: { kind: 'key', account: privateKeyToAccount(privateKey), privateKey } }
  const external = await readPayoutAddress(paths)
  if (!external) throw new IdentityError(`no payout key or address in ${dataDir}: run \`provider-node init --data-dir ${dataDir}\``)
  const peerId = peerIdFromPrivateKey(peerKey).toString()
  if (!external.binding || !(await verifyPeerBinding(peerId, external.address, external.binding as Hex))) {
    throw new IdentityError(
      `the payout address ${external.address} has not signed this node's peer id: sign ${paths.bindingRequest} with its wallet ` +
        `(e.g. \`cast wallet sign --ledger --data --from-file ${paths.bindingRequest}\`) and run \`provider-node init --data-dir ${dataDir} --payout-signature 0x…\``,
    )
  }
  return { peerKey, payout: { kind: 'address', address: external.address, binding: external.binding as Hex } }
}

/** A throwaway identity for a node without a data dir (tests, the local dev marketplace): nobody holds its payout key. */
export async function ephemeralIdentity(): Promise<NodeIdentity> {
  const privateKey = generatePrivateKey()
  return { peerKey: await generateKeyPair('Ed25519'), payout: { kind: 'key', account: privateKeyToAccount(privateKey), privateKey } }
}

/** The EIP-712 typed data binding `payout` to `peerId`, in the form wallets sign (`eth_signTypedData_v4`, `cast wallet sign --data`). */
export function bindingRequest(peerId: string, payout: Address) {
  return {
    types: {
      EIP712Domain: [
        { name: 'name', type: 'string' },
        { name: 'version', type: 'string' },
      ],
      ...PEER_BINDING_TYPES,
    },
    primaryType: 'PeerBinding',
    domain: AGORA_EIP712_DOMAIN,
    message: { peerId, payout },
  }
}

async function readPeerKey(paths: DataDirPaths): Promise<PrivateKey | undefined> {
  const text = await readSecret(paths.peerKey)
  if (text === undefined) return undefined
  try {
    return privateKeyFromProtobuf(Buffer.from(text.trim(), 'base64'))
  } catch (cause) {
    throw new IdentityError(`${paths.peerKey} is not a libp2p private key`, { cause })
  }
}

async function readPayoutKey(paths: DataDirPaths): Promise<Hex | undefined> {
  const text = (await readSecret(paths.payoutKey))?.trim()
  if (text === undefined) return undefined
  if (!/^0x[0-9a-fA-F]{64}$/.test(text)) throw new IdentityError(`${paths.payoutKey} is not a 0x-prefixed 32-byte private key`)
  return text as Hex
}

async function readPayoutAddress(paths: DataDirPaths): Promise<z.infer<typeof PayoutAddressFile> | undefined> {
  const text = await readSecret(paths.payoutAddress)
  if (text === undefined) return undefined
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    throw new IdentityError(`${paths.payoutAddress} is not JSON`, { cause })
  }
  const parsed = PayoutAddressFile.safeParse(json)
  if (!parsed.success) throw new IdentityError(`${paths.payoutAddress}: ${z.prettifyError(parsed.error)}`)
  return parsed.data
}

/** A file of the identity, or undefined when absent; refused when group or others may read it. */
async function readSecret(path: string): Promise<string | undefined> {
  let mode: number
  try {
    mode = (await stat(path)).mode
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  if (mode & 0o077) throw new IdentityError(`${path} is accessible by others (mode ${(mode & 0o777).toString(8)}): run \`chmod 600 ${path}\``)
  return readFile(path, 'utf8')
}

/** Writes a file only its owner may read; never overwrites unless `replace`. */
async function writeSecret(path: string, data: string, { replace = false } = {}): Promise<void> {
  await writeFile(path, data, { mode: 0o600, flag: replace ? 'w' : 'wx' })
  await chmod(path, 0o600)
}
