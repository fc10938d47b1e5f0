/** Counters of what the node has done since it started. */
export interface ProviderStats {
  requests: number
  succeeded: number
  failed: number
  /** Requests the router closed before they finished (its client went away). */
  aborted: number
  /** Requests turned away because the model was at capacity. */
  busy: number
  promptTokens: number
  completionTokens: number
  /** Frames sent to routers; lets tests and operators see generation stop after an abort. */
  framesSent: number
}

export function createStats(): ProviderStats {
  return { requests: 0, succeeded: 0, failed: 0, aborted: 0, busy: 0, promptTokens: 0, completionTokens: 0, framesSent: 0 }
}
