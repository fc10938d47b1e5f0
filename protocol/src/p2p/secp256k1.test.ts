import { randomBytes } from 'node:crypto'
import * as wasm from 'tiny-secp256k1'
import { keccak256 } from 'viem'
import { describe, expect, it } from 'vitest'
import { keccak256Bytes, recoverPublicKey, secp256k1Backend, signDigest } from './secp256k1.ts'

describe(`secp256k1 (${secp256k1Backend} here)`, () => {
  it('signs exactly as libsecp256k1 in WebAssembly does, and recovers the signer', () => {
    for (let i = 0; i < 20; i++) {
      const digest = randomBytes(32)
      const privateKey = randomBytes(32)
      const signed = signDigest(digest, privateKey)
      const reference = wasm.signRecoverable(digest, privateKey)
      expect(Buffer.from(signed.signature).toString('hex')).toBe(Buffer.from(reference.signature).toString('hex'))
      expect(signed.recoveryId).toBe(reference.recoveryId)
      const publicKey = recoverPublicKey(digest, signed.signature, signed.recoveryId as 0 | 1)
      expect(Buffer.from(publicKey!).toString('hex')).toBe(Buffer.from(wasm.pointFromScalar(privateKey, false)!).toString('hex'))
    }
  })

  it('answers null for a signature that recovers no key', () => {
    expect(recoverPublicKey(randomBytes(32), new Uint8Array(64), 0)).toBeNull()
  })

  it('hashes with keccak256 as viem does, input after input', () => {
    for (const size of [0, 1, 32, 135, 136, 137, 352, 1000]) {
      const data = randomBytes(size)
      expect(Buffer.from(keccak256Bytes(data)).toString('hex')).toBe(keccak256(data).slice(2))
    }
  })
})
