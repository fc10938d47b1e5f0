/**
 * The marketplace benchmark: the same mock upstream measured directly and through the
 * marketplace (router → libp2p → provider node → upstream), in three processes. Writes
 * `results/<label>.json` and `.md` and prints the table. Settings: see `config.ts` and README.
 *
 *   npm run bench -- --seconds 5
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseBenchConfig, type BenchConfig } from './config.ts'
import { backgroundShare, cpuSnapshot } from './cpu.ts'
import { chatBody, chatExchange, completionText, openTarget, streamExchange } from './exchanges.ts'
import { LoadRecorder, type Exchange } from './load.ts'
import { machineInfo } from './machine.ts'
import { startMarketplaceProcess, startMockUpstreamProcess, type ChildProcessHandle, type MarketplaceReady } from './processes.ts'
import { PHASES, checkTargets, failed, renderMarkdown, type BenchResults, type PathPair } from './report.ts'
import { sourceRevision } from './revision.ts'
import { readMemory } from './rss.ts'

const MODEL = 'mock-model'
const CHAT = chatBody(MODEL, false)
const STREAM = chatBody(MODEL, true)
const RESULTS_DIR = new URL('../results/', import.meta.url)

type PathName = keyof PathPair
const PATHS: readonly PathName[] = ['direct', 'via']
interface Endpoint {
  baseURL: string
  apiKey?: string
}
type Kind = 'chat' | 'stream' | 'mixed'

const log = (line: string) => process.stderr.write(`${line}\n`)

/** A pool of `concurrency` connections to `endpoint`, and the exchange of `kind` it runs. */
function openLoad(endpoint: Endpoint, kind: Kind, concurrency: number): { exchange: Exchange; close: () => Promise<void> } {
  const target = openTarget(endpoint.baseURL, endpoint.apiKey, concurrency)
  const chat = chatExchange(target, CHAT)
  const stream = streamExchange(target, STREAM)
  let turn = 0
  const exchanges: Record<Kind, Exchange> = { chat, stream, mixed: () => (turn++ % 2 === 0 ? chat() : stream()) }
  return { exchange: exchanges[kind], close: () => target.pool.close() }
}

/**
 * One phase on both paths: an unrecorded warm-up of each at the phase's concurrency, then
 * `config.rounds` alternating slices per path, so that drift in the machine's state during
 * the phase weighs on both paths alike.
 */
async function phase(config: BenchConfig, endpoints: Record<PathName, Endpoint>, name: string, kind: Kind, concurrency: number): Promise<PathPair> {
  const loads = { direct: openLoad(endpoints.direct, kind, concurrency), via: openLoad(endpoints.via, kind, concurrency) }
  try {
    if (config.phaseWarmupSeconds > 0) {
      for (const path of PATHS) await new LoadRecorder(concurrency).run(loads[path].exchange, config.phaseWarmupSeconds * 1000)
    }
    const recorders = { direct: new LoadRecorder(concurrency), via: new LoadRecorder(concurrency) }
    const sliceMs = (config.seconds * 1000) / config.rounds
    for (let round = 0; round < config.rounds; round++) {
      for (const path of round % 2 === 0 ? PATHS : PATHS.toReversed()) await recorders[path].run(loads[path].exchange, sliceMs)
    }
    const pair = { direct: recorders.direct.result(), via: recorders.via.result() }
    for (const path of PATHS) {
      const { requests, errors, requestsPerSecond, latency } = pair[path]
      log(`  ${name} ${path}: ${requests} ok, ${errors} failed, ${Math.round(requestsPerSecond)} req/s, p50 ${latency.p50Ms.toFixed(2)} ms, p99 ${latency.p99Ms.toFixed(2)} ms`)
    }
    return pair
  } finally {
    await Promise.all(PATHS.map((path) => loads[path].close()))
  }
}

/** Checks both paths answer alike, warms them up, and runs every phase. */
async function measure(config: BenchConfig, upstream: ChildProcessHandle<string>, market: ChildProcessHandle<MarketplaceReady>): Promise<BenchResults> {
  const upstreamURL = upstream.ready
  const measured = [process.pid, upstream.pid, market.pid]
  const endpoints: Record<PathName, Endpoint> = { direct: { baseURL: upstreamURL }, via: { baseURL: market.ready.baseURL, apiKey: market.ready.apiKey } }
  const answers = await Promise.all(
    Object.values(endpoints).map(async ({ baseURL, apiKey }) => {
      const target = openTarget(baseURL, apiKey, 1)
      try {
        return await completionText(target, CHAT)
      } finally {
        await target.pool.close()
      }
    }),
  )
  if (answers[0] !== answers[1]) throw new Error(`the paths answer differently: ${JSON.stringify(answers)}`)
  const afterStart = await readMemory(market.pid)

  const cpuBefore = await cpuSnapshot(measured)
  log(`warming up: ${config.warmupSeconds} s per path, concurrency ${config.concurrency}, chat and streamed`)
  for (const path of PATHS) {
    const warmup = openLoad(endpoints[path], 'mixed', config.concurrency)
    await new LoadRecorder(config.concurrency).run(warmup.exchange, config.warmupSeconds * 1000)
    await warmup.close()
  }

  const chatSerial = await phase(config, endpoints, 'chat c=1', 'chat', 1)
  const chatConcurrent = await phase(config, endpoints, `chat c=${config.concurrency}`, 'chat', config.concurrency)
  const saturation = await phase(config, endpoints, `saturation c=${config.saturationConcurrency}`, 'chat', config.saturationConcurrency)
  const timeToFirstToken = await phase(config, endpoints, `ttft c=${config.ttftConcurrency}`, 'stream', config.ttftConcurrency)
  // Let closed sockets and finished requests be released before the last reading.
  await sleep(1_000)
  const afterRun = await readMemory(market.pid)
  const otherProcessesCpuShare = backgroundShare(cpuBefore, await cpuSnapshot(measured))

  return {
    label: config.label,
    machine: machineInfo(),
    revision: sourceRevision(),
    otherProcessesCpuShare,
    config,
    chatSerial,
    chatConcurrent,
    saturation,
    timeToFirstToken,
    marketplaceMemory: { pid: market.pid, scope: 'router + its one provider node, in one process', afterStart, afterRun },
  }
}

const config = parseBenchConfig(process.argv.slice(2), process.env)
const upstream = await startMockUpstreamProcess({ latencyMs: config.upstreamLatencyMs, tokens: config.tokens, interTokenMs: config.interTokenMs })
try {
  const market = await startMarketplaceProcess(upstream.ready, MODEL)
  try {
    log(`mock upstream ${upstream.ready} (pid ${upstream.pid}), marketplace ${market.ready.baseURL} (pid ${market.pid})`)
    const results = await measure(config, upstream, market)
    const targets = checkTargets(results)
    const markdown = renderMarkdown(results, targets)
    await mkdir(RESULTS_DIR, { recursive: true })
    await writeFile(new URL(`${config.label}.json`, RESULTS_DIR), `${JSON.stringify({ ...results, targets }, null, 2)}\n`)
    await writeFile(new URL(`${config.label}.md`, RESULTS_DIR), markdown)
    process.stdout.write(`\n${markdown}`)
    const failedPhases = PHASES.filter((phase) => failed(results[phase]))
    if (failedPhases.length) {
      log(`requests failed in ${failedPhases.join(', ')}: those figures are not to be trusted`)
      process.exitCode = 1
    }
  } finally {
    await market.stop()
  }
} finally {
  await upstream.stop()
}
