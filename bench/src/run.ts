/**
 * The marketplace benchmark: the same mock upstream measured directly and through the
 * marketplace (router → libp2p → provider node → upstream), with billing off and on, in
 * four processes. Writes
 * `results/<label>.json` and `.md` and prints the table. Settings: see `config.ts` and README.
 *
 *   npm run bench -- --seconds 5
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseBenchConfig, type BenchConfig } from './config.ts'
import { backgroundShare, cpuSnapshot, namedProcessesCpuMs, processCpuMs, threadCpuMs } from './cpu.ts'
import { chatBody, chatExchange, completionText, openTarget, streamExchange } from './exchanges.ts'
import { LoadRecorder, type Exchange } from './load.ts'
import { machineInfo } from './machine.ts'
import { startMarketplaceProcess, startMockUpstreamProcess, type ChildProcessHandle, type MarketplaceReady } from './processes.ts'
import { PATHS, PHASES, checkTargets, failed, renderMarkdown, type BenchResults, type MarketPath, type PathName, type PathSet } from './report.ts'
import { sourceRevision } from './revision.ts'
import { readMemory } from './rss.ts'

const MODEL = 'mock-model'
const CHAT = chatBody(MODEL, false)
const STREAM = chatBody(MODEL, true)
const RESULTS_DIR = new URL('../results/', import.meta.url)

interface Endpoint {
  baseURL: string
  apiKey?: string
  /** The process serving it. */
  pid: number
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
 * One phase on every path: an unrecorded warm-up of each at the phase's concurrency, then
 * `rounds` alternating slices per path (`config.rounds` unless given), so that drift in the
 * machine's state during the phase weighs on every path alike. Records each marketplace's CPU
 * by thread and its requests/s in every slice.
 */
async function phase(
  config: BenchConfig,
  endpoints: Record<PathName, Endpoint>,
  name: string,
  kind: Kind,
  concurrency: number,
  { seconds, rounds }: { seconds: number; rounds: number } = config,
): Promise<PathSet> {
  const cpuMs = Object.fromEntries(PATHS.map((path) => [path, 0])) as Record<PathName, number>
  const threadMs: Record<MarketPath, Record<string, number>> = { unbilled: {}, via: {} }
  const roundsPerSecond: Record<MarketPath, number[]> = { unbilled: [], via: [] }
  const ledgerServerMs: Record<MarketPath, number> = { unbilled: 0, via: 0 }
  const loads = Object.fromEntries(PATHS.map((path) => [path, openLoad(endpoints[path], kind, concurrency)])) as Record<PathName, ReturnType<typeof openLoad>>
  try {
    if (config.phaseWarmupSeconds > 0) {
      for (const path of PATHS) await new LoadRecorder(concurrency).run(loads[path].exchange, config.phaseWarmupSeconds * 1000)
    }
    const recorders = Object.fromEntries(PATHS.map((path) => [path, new LoadRecorder(concurrency)])) as Record<PathName, LoadRecorder>
    const sliceMs = (seconds * 1000) / rounds
    for (let round = 0; round < rounds; round++) {
      for (const path of round % 2 === 0 ? PATHS : PATHS.toReversed()) {
        const before = await processCpuMs(endpoints[path].pid)
        const threadsBefore = path === 'direct' ? {} : await threadCpuMs(endpoints[path].pid)
        const ledgerServer = path !== 'direct' && databaseUrl ? await namedProcessesCpuMs(LEDGER_SERVER) : undefined
        const perSecond = await recorders[path].run(loads[path].exchange, sliceMs)
        if (path !== 'direct') roundsPerSecond[path].push(perSecond)
        cpuMs[path] += (await processCpuMs(endpoints[path].pid)) - before
        if (path !== 'direct') {
          for (const [name, ms] of Object.entries(await threadCpuMs(endpoints[path].pid))) threadMs[path][name] = (threadMs[path][name] ?? 0) + ms - (threadsBefore[name] ?? 0)
        }
        // Both marketplaces use the server (billing off still reads API keys), one path at a time.
        if (path !== 'direct' && ledgerServer !== undefined) ledgerServerMs[path] += (await namedProcessesCpuMs(LEDGER_SERVER)) - ledgerServer
      }
    }
    const results = { direct: recorders.direct.result(), unbilled: recorders.unbilled.result(), via: recorders.via.result() }
    const perRequestOf = (path: PathName, ms: number) => (results[path].requests ? ms / results[path].requests : 0)
    const cpuMsPerRequest = Object.fromEntries(PATHS.map((path) => [path, perRequestOf(path, cpuMs[path])])) as Record<PathName, number>
    const perRequest = (path: MarketPath) => Object.fromEntries(Object.entries(threadMs[path]).map(([name, ms]) => [name, perRequestOf(path, ms)]))
    const set: PathSet = {
      ...results,
      cpuMsPerRequest,
      threadCpuMsPerRequest: { unbilled: perRequest('unbilled'), via: perRequest('via') },
      roundsPerSecond,
      ...(databaseUrl ? { ledgerServerCpuMsPerRequest: { unbilled: perRequestOf('unbilled', ledgerServerMs.unbilled), via: perRequestOf('via', ledgerServerMs.via) } } : {}),
    }
    for (const path of PATHS) {
      const { requests, errors, requestsPerSecond, latency } = set[path]
      log(`  ${name} ${path}: ${requests} ok, ${errors} failed, ${Math.round(requestsPerSecond)} req/s, p50 ${latency.p50Ms.toFixed(2)} ms, p99 ${latency.p99Ms.toFixed(2)} ms, ${cpuMsPerRequest[path].toFixed(3)} CPU ms/request`)
    }
    return set
  } finally {
    await Promise.all(PATHS.map((path) => loads[path].close()))
  }
}

type Markets = Record<'via' | 'unbilled', ChildProcessHandle<MarketplaceReady>>

/** Checks every path answers alike, warms them up, and runs every phase. */
async function measure(config: BenchConfig, upstream: ChildProcessHandle<string>, markets: Markets): Promise<BenchResults> {
  const upstreamURL = upstream.ready
  const measured = [process.pid, upstream.pid, markets.via.pid, markets.unbilled.pid]
  const endpoints: Record<PathName, Endpoint> = {
    direct: { baseURL: upstreamURL, pid: upstream.pid },
    unbilled: { baseURL: markets.unbilled.ready.baseURL, apiKey: markets.unbilled.ready.apiKey, pid: markets.unbilled.pid },
    via: { baseURL: markets.via.ready.baseURL, apiKey: markets.via.ready.apiKey, pid: markets.via.pid },
  }
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
  if (new Set(answers).size !== 1) throw new Error(`the paths answer differently: ${JSON.stringify(answers)}`)
  const afterStart = { via: await readMemory(markets.via.pid), unbilled: await readMemory(markets.unbilled.pid) }

  const cpuBefore = await cpuSnapshot(measured)
  log(`warming up: ${config.warmupSeconds} s per path, concurrency ${config.concurrency}, chat and streamed`)
  for (const path of PATHS) {
    const warmup = openLoad(endpoints[path], 'mixed', config.concurrency)
    await new LoadRecorder(config.concurrency).run(warmup.exchange, config.warmupSeconds * 1000)
    await warmup.close()
  }

  const chatSerial = await phase(config, endpoints, 'chat c=1', 'chat', 1)
  const chatConcurrent = await phase(config, endpoints, `chat c=${config.concurrency}`, 'chat', config.concurrency)
  const saturation = await phase(config, endpoints, `saturation c=${config.saturationConcurrency}`, 'chat', config.saturationConcurrency, {
    seconds: config.saturationSeconds,
    rounds: config.saturationRounds,
  })
  const timeToFirstToken = await phase(config, endpoints, `ttft c=${config.ttftConcurrency}`, 'stream', config.ttftConcurrency)
  // Let closed sockets and finished requests be released before the last reading.
  await sleep(1_000)
  const afterRun = { via: await readMemory(markets.via.pid), unbilled: await readMemory(markets.unbilled.pid) }
  const otherProcessesCpuShare = backgroundShare(cpuBefore, await cpuSnapshot(measured))

  return {
    label: config.label,
    machine: machineInfo(),
    revision: sourceRevision(),
    otherProcessesCpuShare,
    ledger: databaseUrl ? 'postgres' : 'pglite',
    config,
    chatSerial,
    chatConcurrent,
    saturation,
    timeToFirstToken,
    marketplaceMemory: {
      scope: 'router + its one provider node, in one process',
      via: { pid: markets.via.pid, afterStart: afterStart.via, afterRun: afterRun.via },
      unbilled: { pid: markets.unbilled.pid, afterStart: afterStart.unbilled, afterRun: afterRun.unbilled },
    },
  }
}

const config = parseBenchConfig(process.argv.slice(2), process.env)
/** Read by `marketplace-process.ts` too: the billed marketplace's ledger is PostgreSQL when set. */
const databaseUrl = process.env.BENCH_DATABASE_URL
/** The process name of the PostgreSQL server behind `databaseUrl`, which runs on this machine. */
const LEDGER_SERVER = 'postgres'
const upstream = await startMockUpstreamProcess({ latencyMs: config.upstreamLatencyMs, tokens: config.tokens, interTokenMs: config.interTokenMs })
try {
  const markets: Markets = {
    unbilled: await startMarketplaceProcess(upstream.ready, MODEL, 'off'),
    via: await startMarketplaceProcess(upstream.ready, MODEL, 'on'),
  }
  try {
    log(`mock upstream ${upstream.ready} (pid ${upstream.pid}), marketplace billing off ${markets.unbilled.ready.baseURL} (pid ${markets.unbilled.pid}), billing on ${markets.via.ready.baseURL} (pid ${markets.via.pid})`)
    const results = await measure(config, upstream, markets)
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
    await Promise.all([markets.via.stop(), markets.unbilled.stop()])
  }
} finally {
  await upstream.stop()
}
