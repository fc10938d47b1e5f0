import { describe, it, expect } from 'vitest'
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { concat, encodeAbiParameters, getAddress, keccak256, parseAbiParameters, recoverTypedDataAddress, zeroHash, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { RECEIPT_EIP712_DOMAIN, RECEIPT_TYPES, encodeReceipt, hashReceipt, requestCost, signReceipt } from '@agora/protocol'
import { LEAF_ENCODING, SettlementTree, settlementLeaf, type SettlementLeaf } from './merkle.ts'

const TREASURY = getAddress('0x00000000000000000000000000000000000000aa')

/** The check docs/chain.md shows a user: the leaf from the proof response, folded with the proof, against the root. */
function verifyWithViem(leaf: SettlementLeaf, proof: Hex[], root: Hex): boolean {
  const leafHash = keccak256(
    keccak256(encodeAbiParameters(parseAbiParameters('string, address, address, uint256, bytes32'), [leaf.generationId, leaf.account, leaf.payout, leaf.cost, leaf.receiptHash])),
  )
  const computed = proof.reduce((node, sibling) => keccak256(node < sibling ? concat([node, sibling]) : concat([sibling, node])), leafHash)
  return computed === root
}

describe('settlement tree', async () => {
  const provider = privateKeyToAccount(generatePrivateKey())
  const pricing = { inputPerMTok: 100_000n, outputPerMTok: 300_000n }
  const receipt = await signReceipt({
    account: provider,
    receipt: {
      generationId: 'gen-signed',
      routerPeerId: '12D3KooWRouter',
      providerPeerId: '12D3KooWProvider',
      model: 'dev/chat',
      promptTokens: 40,
      completionTokens: 16,
      ...pricing,
      cost: requestCost({ promptTokens: 40, completionTokens: 16 }, pricing),
      timestamp: 1_795_600_000_000,
    },
  })
  const sources = [
    { id: 'gen-signed', account: '0x1111111111111111111111111111111111111111', payout: provider.address.toLowerCase(), cost: receipt.cost, receipt: encodeReceipt(receipt) },
    { id: 'gen-unsigned', account: '0x2222222222222222222222222222222222222222', payout: provider.address.toLowerCase(), cost: 7n, receipt: null },
    { id: 'gen-legacy', account: '0x1111111111111111111111111111111111111111', payout: null, cost: 3n, receipt: null },
    ...Array.from({ length: 9 }, (_, i) => ({ id: `gen-${i}`, account: '0x3333333333333333333333333333333333333333', payout: provider.address.toLowerCase(), cost: BigInt(i + 1), receipt: null })),
  ]
  const leaves = sources.map((source) => settlementLeaf(source, TREASURY))
  const tree = new SettlementTree(leaves)

  it("makes each leaf of the generation's record and its receipt's EIP-712 digest, or zero without one", async () => {
    expect(leaves[0]).toEqual({ generationId: 'gen-signed', account: getAddress(sources[0]!.account), payout: provider.address, cost: receipt.cost, receiptHash: hashReceipt(receipt) })
    // The digest is what the provider signed: the signature recovers to the payout address the leaf credits.
    expect(await recoverTypedDataAddress({ domain: RECEIPT_EIP712_DOMAIN, types: RECEIPT_TYPES, primaryType: 'Receipt', message: { ...receipt, timestamp: BigInt(receipt.timestamp) }, signature: receipt.signature })).toBe(
      leaves[0]!.payout,
    )
    expect(leaves[1]!.receiptHash).toBe(zeroHash)
    expect(leaves[2]!.payout).toBe(TREASURY)
  })

  it("gives every generation a proof that viem's few lines and OpenZeppelin both check against the root", () => {
    for (const leaf of leaves) {
      const { proof, leafHash, leaf: stored } = tree.proof(leaf.generationId)!
      expect(stored).toEqual(leaf)
      expect(verifyWithViem(leaf, proof, tree.root)).toBe(true)
      expect(StandardMerkleTree.verify(tree.root, [...LEAF_ENCODING], [leaf.generationId, leaf.account, leaf.payout, leaf.cost.toString(), leaf.receiptHash], proof)).toBe(true)
      expect(leafHash).toMatch(/^0x[0-9a-f]{64}$/)
    }
  })

  it('rejects a leaf that claims another cost, account or receipt', () => {
    const { proof } = tree.proof('gen-unsigned')!
    const leaf = leaves[1]!
    expect(verifyWithViem({ ...leaf, cost: leaf.cost + 1n }, proof, tree.root)).toBe(false)
    expect(verifyWithViem({ ...leaf, account: TREASURY }, proof, tree.root)).toBe(false)
    expect(verifyWithViem({ ...leaf, receiptHash: hashReceipt(receipt) }, proof, tree.root)).toBe(false)
  })

  it('has no proof for a generation it does not hold, and a one-leaf tree is its leaf', () => {
    expect(tree.proof('gen-unknown')).toBeUndefined()
    const single = new SettlementTree([leaves[1]!])
    expect(single.proof('gen-unsigned')).toEqual({ leaf: leaves[1], leafHash: single.root, proof: [] })
    expect(() => new SettlementTree([])).toThrow(RangeError)
  })
})
