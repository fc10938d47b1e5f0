import type { RoutingConfig } from '../../../router/src/routing/config.ts'
import type { Attempt } from '../../../router/src/routing/plan.ts'
import type { Random } from '../../../router/src/routing/random.ts'
import type { OfferRegistry } from '../../../router/src/routing/registry.ts'
import type { SimRequest } from './workload.ts'

/** What a policy sees of the simulated world: the offers as announced, the virtual clock, its own randomness. */
export interface PolicyEnvironment {
  registry: OfferRegistry
  now: () => number
  rng: Random
  config: RoutingConfig
}

/** The bookkeeping of one attempt, told what happened to it. */
export interface AttemptHandle {
  firstByte(): void
  succeed(completionTokens: number): void
  /** The attempt failed with `error`; returns whether the request may go on to its next attempt. */
  fail(error: Error): boolean
}

/** A way of choosing providers, driven by the simulation as the relay drives routing. */
export interface RoutingPolicy {
  /** The providers to try for `request`, in order. */
  plan(request: SimRequest): Attempt[]
  /** An attempt goes out now. */
  begin(request: SimRequest, attempt: Attempt): AttemptHandle
  /** The router's periodic upkeep: a ping round trip to every peer, measured now. */
  ping(rtts: ReadonlyMap<string, number>): void
}

export type PolicyFactory = (environment: PolicyEnvironment) => RoutingPolicy
