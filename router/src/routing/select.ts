import { price, type Candidate } from './registry.ts'

/**
 * Picks the provider for a request: the cheapest live offer, ties broken by the fewest
 * requests in flight (the router's own count first, the advertised one as a hint).
 * Kept behind this one function so the routing policy can be replaced whole.
 */
export function selectCandidate(candidates: Candidate[], inFlight: (peerId: string) => number): Candidate | undefined {
  let best: Candidate | undefined
  for (const candidate of candidates) {
    if (!best || compare(candidate, best, inFlight) < 0) best = candidate
  }
  return best
}

function compare(a: Candidate, b: Candidate, inFlight: (peerId: string) => number): number {
  const byPrice = price(a.model) - price(b.model)
  if (byPrice !== 0n) return byPrice < 0n ? -1 : 1
  const load = (c: Candidate) => inFlight(c.offer.peerId) + c.model.inFlight / c.model.maxConcurrency
  return load(a) - load(b)
}
