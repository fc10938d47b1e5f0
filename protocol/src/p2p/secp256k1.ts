import { createRequire } from 'node:module'
import { createKeccak } from 'hash-wasm'
import * as wasm from 'tiny-secp256k1'

/**
 * The two primitives a receipt costs per request, at native speed where this machine allows:
 * every request is signed by its provider and checked by its router, so they sit on the
 * request path. Measured per call on the benchmark machine (bench/results/receipts.md):
 *
 * | Primitive | JavaScript | WebAssembly | Native |
 * |---|---|---|---|
 * | keccak256, 52 bytes | 11.7 µs (@noble/hashes) | 1.3 µs (hash-wasm) | |
 * | sign | | 149 µs (tiny-secp256k1) | 53 µs (secp256k1) |
 * | recover | | 348 µs (tiny-secp256k1) | 92 µs (secp256k1) |
 *
 * The native binding is libsecp256k1 through the `secp256k1` package's prebuilt N-API
 * addon (Linux and Windows x64, macOS arm64); elsewhere the same library compiled to
 * WebAssembly (`tiny-secp256k1`) does it. Both sign RFC 6979 deterministically with low s,
 * so a signature does not depend on which one made it.
 */

/** libsecp256k1 as the `secp256k1` package's native addon exposes it. */
interface NativeSecp256k1 {
  ecdsaSign(digest: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number }
  ecdsaRecover(signature: Uint8Array, recid: number, digest: Uint8Array, compressed: boolean): Uint8Array
}

function loadNative(): NativeSecp256k1 | undefined {
  try {
    // `secp256k1/bindings` throws when no prebuilt addon fits this platform (its index would fall back to slow JavaScript).
    return createRequire(import.meta.url)('secp256k1/bindings') as NativeSecp256k1
  } catch {
    return undefined
  }
}

const native = loadNative()

/** Which implementation signs and recovers here: `native` or `wasm`. */
export const secp256k1Backend: 'native' | 'wasm' = native ? 'native' : 'wasm'

/** A recoverable ECDSA signature of a 32-byte digest: r ‖ s (64 bytes) and the recovery id (0 or 1). */
export function signDigest(digest: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recoveryId: number } {
  if (native) {
    const { signature, recid } = native.ecdsaSign(digest, privateKey)
    return { signature, recoveryId: recid }
  }
  return wasm.signRecoverable(digest, privateKey)
}

/** The uncompressed public key (65 bytes, 0x04 ‖ x ‖ y) that signed `digest`, or null for an invalid signature. */
export function recoverPublicKey(digest: Uint8Array, signature: Uint8Array, recoveryId: 0 | 1): Uint8Array | null {
  try {
    return native ? native.ecdsaRecover(signature, recoveryId, digest, false) : wasm.recover(digest, signature, recoveryId, false)
  } catch {
    return null
  }
}

// One hasher, reset for every call: the calls are synchronous, so none interleaves with another.
const hasher = await createKeccak(256)

/** keccak256 of `data`, 32 bytes. */
export function keccak256Bytes(data: Uint8Array): Uint8Array {
  hasher.init()
  hasher.update(data)
  return hasher.digest('binary')
}
