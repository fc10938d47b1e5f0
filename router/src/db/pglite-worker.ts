// The worker thread of PGliteThread (pglite-thread.ts): it owns the embedded database and
// answers the router thread's queries. Loaded as a worker, so it imports nothing of the
// router and uses only syntax Node can strip types from.
import { parentPort, workerData } from 'node:worker_threads'
import { PGlite, types, type Transaction } from '@electric-sql/pglite'
import type { Reply, Request, WorkerData } from './pglite-thread.ts'

if (!parentPort) throw new Error('pglite-worker.ts runs as a worker thread (PGliteThread starts it)')
const port = parentPort
const { dataDir, ...artifacts } = workerData as WorkerData

const pg = await PGlite.create(dataDir, artifacts)
// Timestamps, dates and intervals stay text, as drizzle-orm asks of PGlite on every query:
// set once here instead of per query, which costs PGlite a copy of its 300-odd parsers each time.
// The same types drizzle-orm/pglite lists: the four, and numeric[], timestamp[], timestamptz[], interval[], date[].
for (const oid of [types.TIMESTAMP, types.TIMESTAMPTZ, types.INTERVAL, types.DATE, 1231, 1115, 1185, 1187, 1182]) pg.parsers[oid] = (value: string) => value

/** Open transactions by the router thread's id: the PGlite transaction and how to end it. */
const open = new Map<number, { tx: Transaction; end: (commit: boolean) => void; done: Promise<void> }>()

port.on('message', (request: Request) => void answer(request))
port.postMessage({ id: 0, result: null } satisfies Reply)

async function answer(request: Request): Promise<void> {
  try {
    port.postMessage({ id: request.id, result: await run(request) } satisfies Reply)
  } catch (error) {
    port.postMessage({ id: request.id, error: serializeError(error) } satisfies Reply)
  }
}

async function run(request: Request): Promise<unknown> {
  switch (request.op) {
    case 'query': {
      const options = request.rowMode ? { rowMode: request.rowMode } : undefined
      if (request.tx === undefined) return pg.query(request.sql, request.params, options)
      const transaction = open.get(request.tx)
      if (!transaction) throw new Error(`transaction ${request.tx} is not open`)
      return transaction.tx.query(request.sql, request.params, options)
    }
    case 'begin':
      return begin(request.tx)
    case 'end': {
      const transaction = open.get(request.tx)
      if (!transaction) throw new Error(`transaction ${request.tx} is not open`)
      open.delete(request.tx)
      transaction.end(request.commit)
      await transaction.done
      return null
    }
    case 'close':
      await pg.close()
      return null
  }
}

/** Opens a PGlite transaction that stays open, holding PGlite's lock, until `end` arrives. */
function begin(id: number): Promise<null> {
  return new Promise((began, failed) => {
    let end!: (commit: boolean) => void
    const ended = new Promise<boolean>((resolve) => (end = resolve))
    const done = pg.transaction(async (tx) => {
      open.set(id, { tx, end, done })
      began(null)
      if (!(await ended)) await tx.rollback()
    })
    // BEGIN itself failed: nobody waits on `done` yet.
    done.catch((error: unknown) => {
      if (!open.has(id)) failed(error)
    })
  })
}

/** An error as plain data: its message and the fields a Postgres error carries (code, constraint, …). */
function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) }
  const fields: Record<string, unknown> = { name: error.name, message: error.message }
  for (const [key, value] of Object.entries(error)) if (typeof value !== 'function' && typeof value !== 'object') fields[key] = value
  return fields
}
