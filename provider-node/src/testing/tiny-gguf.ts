import { writeFile } from 'node:fs/promises'

// Test support, read by tests only: a tiny llama-architecture GGUF written from scratch, so
// the llama-cpp engine runs a real model where no weights can be downloaded.

/**
 * What the tiny model answers, greedy or sampled. Its weights make it a bigram model: the
 * next token depends only on the current one, so generation follows this table. Where a
 * token lists two successors they score the same, and sampling picks either (the seed
 * decides); a token not in the table is followed by `▁the`.
 */
const NEXT: Record<string, string[]> = {
  '<0x0A>': ['Hello', 'Hi'],
  Hello: ['▁from'],
  Hi: ['▁from'],
  '▁from': ['▁a', '▁one'],
  '▁a': ['▁tiny', '▁small'],
  '▁one': ['▁tiny', '▁small'],
  '▁the': ['▁tiny', '▁small'],
  '▁tiny': ['▁model'],
  '▁small': ['▁model'],
  '▁model': ['.'],
  '.': ['<|im_end|>'],
}

/** The default successor of every token not in `NEXT`. */
const FALLBACK = '▁the'

const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"

const WORDS = ['user', 'assistant', 'system', 'Hello', 'Hi', '▁from', '▁a', '▁one', '▁tiny', '▁small', '▁model', '▁the']

/** GGUF metadata value types. */
const enum ValueType {
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
}

/** SentencePiece token types as llama.cpp reads them. */
const enum TokenType {
  NORMAL = 1,
  UNKNOWN = 2,
  CONTROL = 3,
  BYTE = 6,
}

export interface TinyGgufOptions {
  /** Mean pooling: the file is an embedding model. */
  embeddings?: boolean
  /** `llama.context_length` of the file. */
  contextLength?: number
  /** Transformer blocks. */
  layers?: number
}

/** The answer the tiny chat model gives greedily (temperature 0). */
export const TINY_GREEDY_ANSWER = 'Hello from a tiny model.'

/** Answers sampling may produce: every path through the successor table. */
export const TINY_ANSWERS = ['Hello', 'Hi'].flatMap((greeting) =>
  ['a', 'one'].flatMap((article) => ['tiny', 'small'].map((size) => `${greeting} from ${article} ${size} model.`)),
)

/**
 * Writes a tiny llama-architecture GGUF v3 file (F32, a ChatML template, a SentencePiece
 * vocabulary of about 400 tokens with byte fallback, 128-wide embeddings) to `path`. The
 * weights are deterministic, so every run writes the same bytes.
 * @example
 * await writeTinyGguf(join(dir, 'tiny.gguf'))
 * // a chat completion of any prompt at temperature 0: 'Hello from a tiny model.'
 */
export async function writeTinyGguf(path: string, options: TinyGgufOptions = {}): Promise<void> {
  await writeFile(path, tinyGguf(options))
}

/** The bytes of a tiny GGUF; see `writeTinyGguf`. */
export function tinyGguf({ embeddings = false, contextLength = 2048, layers = 2 }: TinyGgufOptions = {}): Buffer {
  const vocab = vocabulary()
  const nVocab = vocab.tokens.length
  const nEmbd = 128
  const nHead = 4
  const nFf = 256
  const random = gaussian(0x5eed)
  const id = (token: string): number => {
    const index = vocab.index.get(token)
    if (index === undefined) throw new Error(`tiny vocabulary lacks ${token}`)
    return index
  }

  // Tokens that have successors get their own axis, so their logits never interfere; every
  // other token has random coordinates on the remaining axes. The last axis is a constant 1,
  // which carries the fallback successor's baseline score.
  const chainTokens = [...Object.keys(NEXT), FALLBACK].filter((t, i, all) => all.indexOf(t) === i).map(id)
  const axisOf = new Map(chainTokens.map((token, axis) => [token, axis]))
  const constantAxis = nEmbd - 1
  const embedding = new Float32Array(nVocab * nEmbd)
  for (let token = 0; token < nVocab; token++) {
    const row = embedding.subarray(token * nEmbd, (token + 1) * nEmbd)
    const axis = axisOf.get(token)
    if (axis !== undefined) row[axis] = Math.sqrt(nEmbd - 1)
    else for (let d = chainTokens.length; d < constantAxis; d++) row[d] = random()
    row[constantAxis] = 1
  }

  const chainScore = 24
  const fallbackScore = 12
  const output = new Float32Array(nVocab * nEmbd)
  for (let i = 0; i < output.length; i++) output[i] = random() * 0.01
  for (const [from, successors] of Object.entries(NEXT)) {
    const axis = axisOf.get(id(from))!
    // The first successor leads by a little, so greedy decoding is predictable and sampling still varies.
    successors.forEach((to, rank) => (output[id(to) * nEmbd + axis]! += (chainScore + (rank === 0 ? 0.5 : 0)) / Math.sqrt(nEmbd - 1)))
  }
  output[id(FALLBACK) * nEmbd + constantAxis]! += fallbackScore
  // Tokens in the table follow their own successors, not the fallback.
  for (const from of Object.keys(NEXT)) output[id(FALLBACK) * nEmbd + axisOf.get(id(from))!]! -= fallbackScore / Math.sqrt(nEmbd - 1)

  // Real attention and feed-forward blocks, with weights small enough to leave the bigram
  // table in charge of the output.
  const small = (length: number) => Float32Array.from({ length }, () => random() * 0.02)
  const ones = (length: number) => new Float32Array(length).fill(1)
  const tensors: Tensor[] = [{ name: 'token_embd.weight', dims: [nEmbd, nVocab], data: embedding }]
  for (let b = 0; b < layers; b++) {
    tensors.push(
      { name: `blk.${b}.attn_norm.weight`, dims: [nEmbd], data: ones(nEmbd) },
      { name: `blk.${b}.attn_q.weight`, dims: [nEmbd, nEmbd], data: small(nEmbd * nEmbd) },
      { name: `blk.${b}.attn_k.weight`, dims: [nEmbd, nEmbd], data: small(nEmbd * nEmbd) },
      { name: `blk.${b}.attn_v.weight`, dims: [nEmbd, nEmbd], data: small(nEmbd * nEmbd) },
      { name: `blk.${b}.attn_output.weight`, dims: [nEmbd, nEmbd], data: small(nEmbd * nEmbd) },
      { name: `blk.${b}.ffn_norm.weight`, dims: [nEmbd], data: ones(nEmbd) },
      { name: `blk.${b}.ffn_gate.weight`, dims: [nEmbd, nFf], data: small(nEmbd * nFf) },
      { name: `blk.${b}.ffn_up.weight`, dims: [nEmbd, nFf], data: small(nEmbd * nFf) },
      { name: `blk.${b}.ffn_down.weight`, dims: [nFf, nEmbd], data: small(nFf * nEmbd) },
    )
  }
  tensors.push({ name: 'output_norm.weight', dims: [nEmbd], data: ones(nEmbd) }, { name: 'output.weight', dims: [nEmbd, nVocab], data: output })

  const metadata: Array<[string, Value]> = [
    ['general.architecture', string('llama')],
    ['general.name', string(embeddings ? 'tiny-embed' : 'tiny-chat')],
    ['general.file_type', uint32(0)],
    ['llama.context_length', uint32(contextLength)],
    ['llama.embedding_length', uint32(nEmbd)],
    ['llama.block_count', uint32(layers)],
    ['llama.feed_forward_length', uint32(nFf)],
    ['llama.attention.head_count', uint32(nHead)],
    ['llama.attention.head_count_kv', uint32(nHead)],
    ['llama.attention.layer_norm_rms_epsilon', float32(1e-5)],
    ['llama.rope.dimension_count', uint32(nEmbd / nHead)],
    ['llama.vocab_size', uint32(nVocab)],
    ...(embeddings ? ([['llama.pooling_type', uint32(1)]] as Array<[string, Value]>) : []),
    ['tokenizer.ggml.model', string('llama')],
    ['tokenizer.ggml.tokens', array(ValueType.STRING, vocab.tokens.map(string))],
    ['tokenizer.ggml.scores', array(ValueType.FLOAT32, vocab.scores.map(float32))],
    ['tokenizer.ggml.token_type', array(ValueType.INT32, vocab.types.map(int32))],
    ['tokenizer.ggml.unknown_token_id', uint32(id('<unk>'))],
    ['tokenizer.ggml.bos_token_id', uint32(id('<s>'))],
    ['tokenizer.ggml.eos_token_id', uint32(id('<|im_end|>'))],
    ['tokenizer.ggml.add_bos_token', bool(true)],
    ['tokenizer.chat_template', string(CHATML_TEMPLATE)],
  ]
  return encodeGguf(metadata, tensors)
}

interface Vocabulary {
  tokens: string[]
  scores: number[]
  types: number[]
  index: Map<string, number>
}

/**
 * A SentencePiece vocabulary: control tokens, the 256 byte-fallback tokens, printable ASCII
 * characters, and every prefix of the words the model speaks (the SPM tokenizer merges
 * pairs, so each step of a word must be a token). Longer pieces score higher.
 */
function vocabulary(): Vocabulary {
  const tokens: string[] = []
  const scores: number[] = []
  const types: number[] = []
  const add = (token: string, type: TokenType, score = 0) => {
    if (tokens.includes(token)) return
    tokens.push(token)
    scores.push(score)
    types.push(type)
  }
  add('<unk>', TokenType.UNKNOWN)
  add('<s>', TokenType.CONTROL)
  add('</s>', TokenType.CONTROL)
  add('<|im_start|>', TokenType.CONTROL)
  add('<|im_end|>', TokenType.CONTROL)
  for (let byte = 0; byte < 256; byte++) add(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`, TokenType.BYTE)
  add('▁', TokenType.NORMAL, -1)
  for (let code = 33; code < 127; code++) add(String.fromCharCode(code), TokenType.NORMAL, -1)
  for (const word of WORDS) {
    const chars = [...word]
    for (let end = 2; end <= chars.length; end++) add(chars.slice(0, end).join(''), TokenType.NORMAL, end)
  }
  return { tokens, scores, types, index: new Map(tokens.map((t, i) => [t, i])) }
}

interface Tensor {
  name: string
  /** ggml order: the innermost (contiguous) dimension first. */
  dims: number[]
  data: Float32Array
}

type Value = { type: ValueType; bytes: Buffer }

const ALIGNMENT = 32

const uint32 = (value: number): Value => ({ type: ValueType.UINT32, bytes: u32(value) })
const int32 = (value: number): Value => {
  const bytes = Buffer.alloc(4)
  bytes.writeInt32LE(value)
  return { type: ValueType.INT32, bytes }
}
const float32 = (value: number): Value => {
  const bytes = Buffer.alloc(4)
  bytes.writeFloatLE(value)
  return { type: ValueType.FLOAT32, bytes }
}
const bool = (value: boolean): Value => ({ type: ValueType.BOOL, bytes: Buffer.from([value ? 1 : 0]) })
const string = (value: string): Value => ({ type: ValueType.STRING, bytes: ggufString(value) })
const array = (elementType: ValueType, values: Value[]): Value => ({
  type: ValueType.ARRAY,
  bytes: Buffer.concat([u32(elementType), u64(values.length), ...values.map((v) => v.bytes)]),
})

function u32(value: number): Buffer {
  const bytes = Buffer.alloc(4)
  bytes.writeUInt32LE(value)
  return bytes
}

function u64(value: number): Buffer {
  const bytes = Buffer.alloc(8)
  bytes.writeBigUInt64LE(BigInt(value))
  return bytes
}

function ggufString(value: string): Buffer {
  const utf8 = Buffer.from(value, 'utf8')
  return Buffer.concat([u64(utf8.length), utf8])
}

const padding = (length: number) => Buffer.alloc((ALIGNMENT - (length % ALIGNMENT)) % ALIGNMENT)

/** GGUF v3: header, metadata, tensor infos, then the aligned tensor data. */
function encodeGguf(metadata: Array<[string, Value]>, tensors: Tensor[]): Buffer {
  const header = [Buffer.from('GGUF', 'ascii'), u32(3), u64(tensors.length), u64(metadata.length)]
  const kv = metadata.flatMap(([key, value]) => [ggufString(key), u32(value.type), value.bytes])
  const infos: Buffer[] = []
  const data: Buffer[] = []
  let offset = 0
  for (const tensor of tensors) {
    const F32 = 0
    infos.push(ggufString(tensor.name), u32(tensor.dims.length), ...tensor.dims.map(u64), u32(F32), u64(offset))
    const bytes = Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength)
    data.push(bytes, padding(bytes.length))
    offset += bytes.length + padding(bytes.length).length
  }
  const head = Buffer.concat([...header, ...kv, ...infos])
  return Buffer.concat([head, padding(head.length), ...data])
}

/** Standard normal samples from a seeded generator (mulberry32 and Box–Muller). */
function gaussian(seed: number): () => number {
  let state = seed
  const uniform = () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297
  }
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform())
}
