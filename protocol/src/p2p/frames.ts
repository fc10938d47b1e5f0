import { z } from 'zod'
import { LengthPrefixedDecoder } from '@libp2p/utils'
import * as varint from 'uint8-varint'
import type { Uint8ArrayList } from 'uint8arraylist'
import { Usage } from '../openai/common.ts'
import { MAX_FRAME_BYTES } from './constants.ts'
import { SignedReceipt, encodeReceipt } from './receipt.ts'

/** The endpoint an inference request is for. */
export const InferKind = z.enum(['chat.completions', 'completions', 'embeddings'])
export type InferKind = z.infer<typeof InferKind>

/** First and only frame the router sends on an inference stream. */
export const InferRequest = z.object({
  /** Generation id chosen by the router; it names the request in receipts and logs. */
  id: z.string().min(1).max(128),
  kind: InferKind,
  /** The client's OpenAI request body; `model` is the published model id, which the provider maps to its engine's own. */
  body: z.record(z.string(), z.unknown()),
  /** Epoch milliseconds after which the provider should give up. */
  deadline: z.number().int().positive(),
})
export type InferRequest = z.infer<typeof InferRequest>

/** An error as it travels in a frame: enough to rebuild the client's OpenAI error. */
export const FrameError = z.object({
  status: z.number().int().min(400).max(599),
  type: z.string(),
  code: z.string(),
  message: z.string(),
  param: z.string().nullable().default(null),
})
export type FrameError = z.infer<typeof FrameError>

/**
 * Frames a provider sends back, in order: zero or more `chunk` (streamed requests) or one
 * `result` (non-streamed), then exactly one `end` with usage and, last, one `receipt`
 * signing that usage; or an `error` at any point before `end`.
 */
export const ResponseFrame = z.discriminatedUnion('t', [
  z.object({ t: z.literal('chunk'), data: z.record(z.string(), z.unknown()) }),
  z.object({ t: z.literal('result'), data: z.record(z.string(), z.unknown()) }),
  z.object({ t: z.literal('end'), usage: Usage }),
  z.object({ t: z.literal('receipt'), receipt: SignedReceipt }),
  z.object({ t: z.literal('error'), error: FrameError }),
])
export type ResponseFrame = z.infer<typeof ResponseFrame>

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Encodes a JSON frame with its varint length prefix. */
export function encodeFrame(frame: InferRequest | ResponseFrame): Uint8Array {
  // Only a receipt carries bigints; other frames skip the replacer, which would cost every chunk.
  const payload = encoder.encode('t' in frame && frame.t === 'receipt' ? JSON.stringify({ t: 'receipt', receipt: encodeReceipt(frame.receipt) }) : JSON.stringify(frame))
  if (payload.byteLength > MAX_FRAME_BYTES) throw new RangeError(`frame of ${payload.byteLength} bytes exceeds ${MAX_FRAME_BYTES}`)
  const prefixLength = varint.encodingLength(payload.byteLength)
  const out = new Uint8Array(prefixLength + payload.byteLength)
  varint.encode(payload.byteLength, out)
  out.set(payload, prefixLength)
  return out
}

/** Thrown when a peer sends a frame that is not valid JSON or not a known frame. */
export class MalformedFrameError extends Error {
  override name = 'MalformedFrameError'
}

/**
 * Reads length-prefixed JSON frames from a byte source, at most `maxFrameBytes` each.
 * Yields parsed JSON; callers validate it with the schema of the frame they expect.
 */
export async function* readFrames(
  source: AsyncIterable<Uint8Array | Uint8ArrayList>,
  maxFrameBytes = MAX_FRAME_BYTES,
): AsyncGenerator<unknown> {
  const lp = new LengthPrefixedDecoder({ maxDataLength: maxFrameBytes, maxBufferSize: maxFrameBytes + 16 })
  for await (const chunk of source) {
    for (const frame of lp.decode(chunk)) {
      try {
        yield JSON.parse(decoder.decode(frame.subarray()))
      } catch (cause) {
        throw new MalformedFrameError('frame is not valid JSON', { cause })
      }
    }
  }
}
