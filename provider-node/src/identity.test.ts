import { describe, it, expect } from 'vitest'
import { chmod, mkdtemp, readFile, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import type { Hex } from 'viem'
import { IdentityError, dataDirPaths, initIdentity, loadIdentity } from './identity.ts'

const fresh = () => mkdtemp(join(tmpdir(), 'agora-identity-'))
const mode = async (path: string) => (await stat(path)).mode & 0o777

describe('node identity', () => {
  it('creates a peer key and a payout key, 0600 in a 0700 dir, and keeps them on a second init', async () => {
    const dataDir = join(await fresh(), 'node')
    const paths = dataDirPaths(dataDir)
    const first = await initIdentity(dataDir)
    expect(first).toMatchObject({ payoutKind: 'key', bindingPending: false, created: [paths.peerKey, paths.payoutKey] })
    expect(await mode(dataDir)).toBe(0o700)
    expect(await mode(paths.peerKey)).toBe(0o600)
    expect(await mode(paths.payoutKey)).toBe(0o600)

    const again = await initIdentity(dataDir)
    expect(again).toMatchObject({ peerId: first.peerId, payoutAddress: first.payoutAddress, created: [] })
    const loaded = await loadIdentity(dataDir)
    expect(peerIdFromPrivateKey(loaded.peerKey).toString()).toBe(first.peerId)
    expect(loaded.payout.kind === 'key' && loaded.payout.account.address).toBe(first.payoutAddress)
  })

  it('refuses a key file others can read, as ssh does', async () => {
    const dataDir = await fresh()
    await initIdentity(dataDir)
    await chmod(dataDirPaths(dataDir).payoutKey, 0o644)
    await expect(loadIdentity(dataDir)).rejects.toThrow(/payout\.key is accessible by others \(mode 644\): run `chmod 600/)
  })

  it('says to run init when the data dir has no identity', async () => {
    await expect(loadIdentity(await fresh())).rejects.toThrow(/no node identity in .*: run `provider-node init/)
  })

  it('with an external payout address: no payout key, a request to sign, and a start refused until it is signed', async () => {
    const dataDir = await fresh()
    const paths = dataDirPaths(dataDir)
    const wallet = privateKeyToAccount(generatePrivateKey())
    const pending = await initIdentity(dataDir, { payoutAddress: wallet.address.toLowerCase() })
    expect(pending).toMatchObject({ payoutKind: 'address', payoutAddress: wallet.address, bindingPending: true })
    await expect(stat(paths.payoutKey)).rejects.toThrow()
    await expect(loadIdentity(dataDir)).rejects.toThrow(/has not signed this node's peer id/)

    // The wallet signs the typed data exactly as written, as `cast wallet sign --data` would.
    const request = JSON.parse(await readFile(paths.bindingRequest, 'utf8'))
    expect(request.message).toEqual({ peerId: pending.peerId, payout: wallet.address })
    const { EIP712Domain: _, ...types } = request.types
    const signature = await wallet.signTypedData({ domain: request.domain, types, primaryType: request.primaryType, message: request.message })

    const someoneElse = await privateKeyToAccount(generatePrivateKey()).signTypedData({ domain: request.domain, types, primaryType: request.primaryType, message: request.message })
    await expect(initIdentity(dataDir, { payoutSignature: someoneElse })).rejects.toBeInstanceOf(IdentityError)

    const done = await initIdentity(dataDir, { payoutSignature: signature })
    expect(done).toMatchObject({ peerId: pending.peerId, bindingPending: false })
    expect(await mode(paths.payoutAddress)).toBe(0o600)
    const loaded = await loadIdentity(dataDir)
    expect(loaded.payout).toEqual({ kind: 'address', address: wallet.address, binding: signature as Hex })
  })

  it('will not switch a node that holds its payout key to an external address', async () => {
    const dataDir = await fresh()
    await initIdentity(dataDir)
    await expect(initIdentity(dataDir, { payoutAddress: privateKeyToAccount(generatePrivateKey()).address })).rejects.toThrow(/already holds the payout key/)
  })
})
