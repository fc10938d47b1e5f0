import { describe, it, expect } from 'vitest'
import { encodeFrame, readFrames, MalformedFrameError, ResponseFrame, InferRequest } from './frames.ts'
import { MAX_FRAME_BYTES } from './constants.ts'

async function* source(...chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* chunks
}

async function collect(iterable: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = []
  for await (const item of iterable) out.push(item)
  return out
}

const frames: ResponseFrame[] = [
  { t: 'chunk', data: { id: 'c1', choices: [{ index: 0, delta: { content: 'héllo 👋' } }] } },
  { t: 'end', usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } },
]

describe('inference frames', () => {
  it('round-trip through varint length prefixes, however the bytes are split', async () => {
    const bytes = Uint8Array.from(frames.flatMap((f) => [...encodeFrame(f)]))
    expect(await collect(readFrames(source(bytes)))).toEqual(frames)
    const oneByteAtATime = [...bytes].map((b) => Uint8Array.of(b))
    expect(await collect(readFrames(source(...oneByteAtATime)))).toEqual(frames)
  })

  it('refuses a frame larger than the limit, on both sides', async () => {
    expect(() => encodeFrame({ t: 'chunk', data: { text: 'x'.repeat(MAX_FRAME_BYTES) } })).toThrow(RangeError)
    const big = encodeFrame({ t: 'chunk', data: { text: 'x'.repeat(2_000) } })
    await expect(collect(readFrames(source(big), 1_000))).rejects.toThrow()
  })

  it('rejects a frame that is not JSON', async () => {
    const payload = new TextEncoder().encode('{not json')
    await expect(collect(readFrames(source(Uint8Array.of(payload.length, ...payload))))).rejects.toBeInstanceOf(MalformedFrameError)
  })

  it('validates frames by schema', () => {
    expect(ResponseFrame.safeParse({ t: 'chunk', data: {} }).success).toBe(true)
    expect(ResponseFrame.safeParse({ t: 'nope' }).success).toBe(false)
    expect(ResponseFrame.safeParse({ t: 'error', error: { status: 200, type: 'x', code: 'y', message: 'z' } }).success).toBe(false)
    expect(ResponseFrame.parse({ t: 'error', error: { status: 502, type: 'x', code: 'y', message: 'z' } })).toMatchObject({ error: { param: null } })
    expect(InferRequest.safeParse({ id: 'g', kind: 'chat.completions', body: {}, deadline: Date.now() }).success).toBe(true)
    expect(InferRequest.safeParse({ id: 'g', kind: 'images', body: {}, deadline: Date.now() }).success).toBe(false)
  })
})
