import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { getAddress, zeroHash, type Address, type Hex } from 'viem'
import { hashReceipt, SignedReceipt } from '@agora/protocol'

/**
 * A settlement batch's Merkle tree has one leaf per generation it settles: the generation
 * id, the account debited, the payout address credited, the micro-USD it cost, and the
 * EIP-712 digest of the provider's signed receipt (`hashReceipt`), or zero when the
 * provider signed none and the leaf is the router's own record. Leaves are OpenZeppelin's
 * standard leaves, `keccak256(keccak256(abi.encode(…)))` over {@link LEAF_ENCODING}, in a
 * `StandardMerkleTree`, so a proof checks with `MerkleProof.verify` on chain or a few
 * lines of viem (docs/chain.md).
 */
export const LEAF_ENCODING = ['string', 'address', 'address', 'uint256', 'bytes32'] as const

/** One generation in a batch's tree. */
export interface SettlementLeaf {
  generationId: string
  /** The account whose escrowed balance paid it. */
  account: Address
  /** Where its earnings went: the provider's payout address (or the treasury when none was known). */
  payout: Address
  /** Micro-USD. */
  cost: bigint
  /** `hashReceipt(receipt)`, or the zero hash for a generation without a signed receipt. */
  receiptHash: Hex
}

type LeafValue = [generationId: string, account: Address, payout: Address, cost: string, receiptHash: Hex]

/** What a generation contributes to its leaf, as the ledger stores it. */
export interface LeafSource {
  id: string
  /** The account's wallet address. */
  account: string
  /** The payout address of the serving offer; null when unknown, then `treasury` is credited. */
  payout: string | null
  cost: bigint
  /** The stored `SignedReceipt` JSON, or null. */
  receipt: unknown
}

/**
 * The leaf of one generation: its receipt's digest when it has one.
 * @example
 * const leaf = settlementLeaf(generation, treasury)
 */
export function settlementLeaf({ id, account, payout, cost, receipt }: LeafSource, treasury: Address): SettlementLeaf {
  return {
    generationId: id,
    account: getAddress(account),
    payout: getAddress(payout ?? treasury),
    cost,
    receiptHash: receipt === null || receipt === undefined ? zeroHash : hashReceipt(SignedReceipt.parse(receipt)),
  }
}

const leafValue = (leaf: SettlementLeaf): LeafValue => [leaf.generationId, leaf.account, leaf.payout, leaf.cost.toString(), leaf.receiptHash]

/** A batch's tree, to compute its root and the proof of any of its generations. */
export class SettlementTree {
  readonly #tree: StandardMerkleTree<LeafValue>
  readonly #indexById: Map<string, number>

  /**
   * @param leaves At least one; their order does not matter (the tree sorts its leaves).
   */
  constructor(leaves: SettlementLeaf[]) {
    if (!leaves.length) throw new RangeError('a settlement tree needs at least one leaf')
    this.#tree = StandardMerkleTree.of(leaves.map(leafValue), [...LEAF_ENCODING])
    this.#indexById = new Map([...this.#tree.entries()].map(([index, [generationId]]) => [generationId, index]))
  }

  /** The `receiptsRoot` the batch's `settle` call carries. */
  get root(): Hex {
    return this.#tree.root as Hex
  }

  /**
   * The leaf of a generation and the sibling hashes from it to the root, or undefined when
   * the generation is not in this batch.
   * @example
   * const { leaf, leafHash, proof } = tree.proof('gen-…')!
   */
  proof(generationId: string): { leaf: SettlementLeaf; leafHash: Hex; proof: Hex[] } | undefined {
    const index = this.#indexById.get(generationId)
    if (index === undefined) return undefined
    const value = this.#tree.at(index)!
    const [, account, payout, cost, receiptHash] = value
    return { leaf: { generationId, account, payout, cost: BigInt(cost), receiptHash }, leafHash: this.#tree.leafHash(value) as Hex, proof: this.#tree.getProof(index) as Hex[] }
  }
}
