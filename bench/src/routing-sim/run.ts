/**
 * The routing simulation: 1,000 simulated providers, 100,000 requests on a virtual clock,
 * our routing policy against random, cheapest-only and least-loaded baselines. Writes
 * `results/<label>.json` and `results/<label>.md`, and prints the table.
 *
 *   npm run -w bench bench:routing -- --requests 20000 --seed 2
 */
import { mkdir, writeFile } from 'node:fs/promises'
import type { RoutingConfig } from '../../../router/src/routing/config.ts'
import { machineInfo } from '../machine.ts'
import { agoraPolicy } from './agora-policy.ts'
import { cheapestPolicy, leastLoadedPolicy, randomPolicy } from './baselines.ts'
import { parseSimConfig } from './config.ts'
import { drawMarket } from './market.ts'
import { summarize, type PolicySummary } from './metrics.ts'
import type { PolicyFactory } from './policy.ts'
import { describeMarket, renderMarkdown, type RoutingSimResults } from './report.ts'
import { simulate } from './simulate.ts'
import { drawWorkload } from './workload.ts'

const RESULTS_DIR = new URL('../../results/', import.meta.url)

const BASELINES: [string, PolicyFactory][] = [
  ['random', randomPolicy],
  ['cheapest', cheapestPolicy],
  ['least-loaded', leastLoadedPolicy],
]

const config = parseSimConfig(process.argv.slice(2))
const runs: { name: string; factory: PolicyFactory; routing: RoutingConfig }[] = [
  { name: 'agora', factory: agoraPolicy, routing: config.routing },
  ...Object.entries(config.variants).map(([name, routing]) => ({ name: `agora, ${name}`, factory: agoraPolicy, routing })),
  ...BASELINES.map(([name, factory]) => ({ name, factory, routing: config.routing })),
]
const market = drawMarket(config)
const requests = drawWorkload(config, market.models)
const summaries: PolicySummary[] = []
for (const { name, factory, routing } of runs) {
  const record = simulate(market, requests, factory, { announceMs: config.announceMs, seed: config.seed, routing })
  const summary = summarize(name, requests, record)
  summaries.push(summary)
  console.error(`${name}: ${summary.wallSeconds.toFixed(1)} s wall, ${summary.virtualSeconds.toFixed(0)} s simulated, plan ${summary.planMicros.toFixed(1)} µs/call`)
}

const results: RoutingSimResults = { config, machine: machineInfo(), market: describeMarket(market, requests), summaries }
const markdown = renderMarkdown(results)
await mkdir(RESULTS_DIR, { recursive: true })
await writeFile(new URL(`${config.label}.json`, RESULTS_DIR), `${JSON.stringify(results, null, 2)}\n`)
await writeFile(new URL(`${config.label}.md`, RESULTS_DIR), markdown)
console.log(markdown)
