import { peerIdFromString } from '@libp2p/peer-id'
import {
  INFER_PROTOCOL,
  MAX_FRAME_BYTES,
  MAX_OUTBOUND_INFER_STREAMS,
  ProviderError,
  ResponseFrame,
  encodeFrame,
  readFrames,
  type InferRequest,
  type MarketPeer,
} from '@agora/protocol'

/** An open inference stream: its validated frames, and a way to abandon it. */
export interface InferenceSession {
  frames: AsyncGenerator<ResponseFrame, void, undefined>
  /** Resets the stream; the provider sees it close and stops generating. */
  abort(reason: Error): void
  /** Done with it after the last frame: closes our side so the stream is released. */
  close(): void
}

/**
 * Opens an inference stream to `peerId` over the existing connection and sends the
 * request frame. Frames are validated as they arrive; a malformed one ends the session
 * with a `ProviderError`. Aborting `signal` resets the stream.
 */
export async function openInference(peer: MarketPeer, peerId: string, request: InferRequest, signal: AbortSignal): Promise<InferenceSession> {
  const stream = await peer.dialProtocol(peerIdFromString(peerId), INFER_PROTOCOL, { signal, maxOutboundStreams: MAX_OUTBOUND_INFER_STREAMS })
  const abort = (reason: Error) => {
    if (stream.status === 'open') stream.abort(reason)
  }
  const onAbort = () => abort(signal.reason instanceof Error ? signal.reason : new Error('aborted'))
  signal.addEventListener('abort', onAbort, { once: true })
  stream.send(encodeFrame(request))

  async function* frames(): AsyncGenerator<ResponseFrame, void, undefined> {
    try {
      for await (const raw of readFrames(stream, MAX_FRAME_BYTES)) {
        const frame = ResponseFrame.safeParse(raw)
        if (!frame.success) throw new ProviderError('the provider sent a malformed frame', { details: frame.error.message })
        yield frame.data
      }
    } finally {
      signal.removeEventListener('abort', onAbort)
      // Done reading (or gave up): close our side so the stream is not left half-open.
      if (stream.status === 'open') void stream.close().catch(() => stream.abort(new Error('close failed')))
    }
  }
  const generator = frames()
  return { frames: generator, abort, close: () => void generator.return(undefined) }
}
