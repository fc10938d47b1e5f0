/**
 * The marketplace under benchmark, in its own process: a router and one provider node
 * whose `openai` engine proxies to `--upstream-url`, started through `startMarketplace`.
 * `--billing off` starts it without charging. Prints one JSON line `{"baseURL","apiKey","pid"}` on stdout when ready, then serves
 * until stdin closes (the benchmark went away) or SIGINT/SIGTERM.
 *
 *   npx tsx bench/src/marketplace-process.ts --upstream-url http://127.0.0.1:8000/v1 --model mock-model
 *
 * With `BENCH_DATABASE_URL=postgres://…` the router's ledger is that PostgreSQL database.
 */
import { parseArgs } from 'node:util'
import { z } from 'zod'
import { startMarketplace } from '@agora/test/marketplace'

const Flags = z.strictObject({
  'upstream-url': z.url(),
  model: z.string().min(1).default('mock-model'),
  /** High enough that the provider never answers `provider_busy` at the benchmark's concurrency. */
  'max-concurrency': z.coerce.number().int().positive().default(4096),
  /** `off`: keys are checked but nothing is held or charged, the baseline that shows what billing costs. */
  billing: z.enum(['on', 'off']).default('on'),
})

const { values } = parseArgs({
  options: { 'upstream-url': { type: 'string' }, model: { type: 'string' }, 'max-concurrency': { type: 'string' }, billing: { type: 'string' } },
})
const parsed = Flags.safeParse(values)
if (!parsed.success) {
  console.error(z.prettifyError(parsed.error))
  process.exit(2)
}
const flags = parsed.data
/** `BENCH_LOG_LEVEL`: how much the marketplace logs (to stdout), `error` unless set. */
const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('error')
/** The ledger: PostgreSQL at `BENCH_DATABASE_URL` when set, else embedded in-memory PGlite (the default). */
const databaseUrl = process.env.BENCH_DATABASE_URL

const market = await startMarketplace({
  // Failed requests are counted by the load generator; a log line each would only slow the router down.
  logLevel: LogLevel.parse(process.env.BENCH_LOG_LEVEL),
  billing: flags.billing,
  ...(databaseUrl ? { databaseUrl } : {}),
  providers: [
    {
      name: 'bench-openai',
      engine: { kind: 'openai', baseUrl: flags['upstream-url'] },
      models: [{ id: flags.model, maxConcurrency: flags['max-concurrency'] }],
    },
  ],
})
process.stdout.write(`${JSON.stringify({ baseURL: market.baseURL, apiKey: market.apiKey, pid: process.pid })}\n`)

let stopping = false
const shutdown = () => {
  if (stopping) return
  stopping = true
  void market.stop().then(() => process.exit(0))
}
process.stdin.on('close', shutdown).resume()
process.once('SIGINT', shutdown)
process.once('SIGTERM', shutdown)
