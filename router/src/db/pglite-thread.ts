import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { QueryOptions, Results } from '@electric-sql/pglite'

/** What the router thread sends the worker (pglite-worker.ts). */
export type Request = { id: number } & (
  | { op: 'query'; sql: string; params: unknown[]; rowMode?: 'array' | 'object'; tx?: number }
  | { op: 'begin'; tx: number }
  | { op: 'end'; tx: number; commit: boolean }
  | { op: 'close' }
)
/** A request before it is numbered. */
type RequestBody = Unnumbered<Request>
type Unnumbered<T> = T extends unknown ? Omit<T, 'id'> : never

/** The worker's answer to request `id` (0: it is ready). */
export type Reply = { id: number; result: unknown; error?: undefined } | { id: number; error: Record<string, unknown>; result?: undefined }

export interface WorkerData extends Artifacts {
  dataDir: string | undefined
}

/** PGlite's compiled WebAssembly and its file bundle, which every worker would otherwise load and compile again. */
interface Artifacts {
  pgliteWasmModule: WebAssembly.Module
  initdbWasmModule: WebAssembly.Module
  fsBundle: Blob
}

let artifacts: Promise<Artifacts> | undefined

/** Loads PGlite's artifacts once per process, from the package's `dist` directory. */
function loadArtifacts(): Promise<Artifacts> {
  artifacts ??= (async () => {
    const dist = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'))
    const [pglite, initdb, bundle] = await Promise.all(['pglite.wasm', 'initdb.wasm', 'pglite.data'].map((file) => readFile(join(dist, file))))
    const [pgliteWasmModule, initdbWasmModule] = await Promise.all([WebAssembly.compile(pglite!), WebAssembly.compile(initdb!)])
    return { pgliteWasmModule, initdbWasmModule, fsBundle: new Blob([bundle!]) }
  })()
  return artifacts
}

/** The part of a client that runs queries, which drizzle-orm/pglite hands a transaction's callback. */
export interface PGliteQueries {
  query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>>
}

/**
 * Embedded PGlite on a worker thread of its own, behind the part of PGlite's interface that
 * drizzle-orm/pglite uses (`query`, `transaction`). PGlite is Postgres compiled to
 * WebAssembly: every statement runs to completion on the thread that calls it, so on the
 * router's thread a ledger statement for a batch of requests stops HTTP and libp2p for as
 * long as it takes. Here it runs beside them, and the router thread only posts the SQL and
 * receives the rows.
 *
 * Queries run in the order they arrive, one at a time, as on one PGlite. A transaction holds
 * the database until it ends, as PGlite's own does: other queries wait for it. Timestamps,
 * dates and intervals come back as text, which is what drizzle-orm asks for.
 * @example
 * const client = await PGliteThread.create('./data/router/db')
 * const db = drizzle({ client: client as unknown as PGlite, schema })
 */
export class PGliteThread implements PGliteQueries {
  readonly #worker: Worker
  readonly #pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>()
  #nextId = 1
  #nextTransaction = 1
  #failure: Error | undefined

  private constructor(worker: Worker) {
    this.#worker = worker
    worker.on('message', (reply: Reply) => this.#receive(reply))
    worker.on('error', (error) => this.#fail(error))
    worker.on('exit', (code) => this.#fail(new Error(`the PGlite worker exited (code ${code})`)))
  }

  /**
   * Starts the worker and opens PGlite in it: files under `dataDir`, in memory when undefined.
   * @example
   * const client = await PGliteThread.create()
   */
  static async create(dataDir?: string): Promise<PGliteThread> {
    const workerData: WorkerData = { dataDir, ...(await loadArtifacts()) }
    const worker = new Worker(new URL('./pglite-worker.ts', import.meta.url), { workerData })
    const thread = new PGliteThread(worker)
    await new Promise((resolve, reject) => thread.#pending.set(0, { resolve, reject })).finally(() => thread.#settled())
    return thread
  }

  query<T>(sql: string, params: unknown[] = [], options?: QueryOptions): Promise<Results<T>> {
    return this.#query(sql, params, options)
  }

  /**
   * Runs `callback` in one transaction: committed when it resolves, rolled back when it throws.
   * @example
   * await client.transaction(async (tx) => { await tx.query('UPDATE …'); await tx.query('INSERT …') })
   */
  async transaction<T>(callback: (tx: PGliteQueries) => Promise<T>): Promise<T> {
    const tx = this.#nextTransaction++
    await this.#call({ op: 'begin', tx })
    let result: T
    try {
      result = await callback({ query: (sql, params = [], options) => this.#query(sql, params, options, tx) })
    } catch (error) {
      await this.#call({ op: 'end', tx, commit: false })
      throw error
    }
    await this.#call({ op: 'end', tx, commit: true })
    return result
  }

  /** Closes PGlite (its files are complete afterwards) and stops the worker. */
  async close(): Promise<void> {
    if (this.#failure) return
    await this.#call({ op: 'close' })
    this.#failure = new Error('PGlite is closed')
    await this.#worker.terminate()
  }

  /** A query, inside transaction `tx` when given. */
  #query<T>(sql: string, params: unknown[], options: QueryOptions | undefined, tx?: number): Promise<Results<T>> {
    const rowMode = options?.rowMode
    return this.#call({ op: 'query', sql, params, ...(rowMode ? { rowMode } : {}), ...(tx === undefined ? {} : { tx }) }) as Promise<Results<T>>
  }

  #call(body: RequestBody): Promise<unknown> {
    if (this.#failure) return Promise.reject(this.#failure)
    const id = this.#nextId++
    if (!this.#pending.size) this.#worker.ref()
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.#worker.postMessage({ ...body, id } satisfies Request)
    })
  }

  #receive({ id, result, error }: Reply): void {
    const pending = this.#pending.get(id)
    if (!pending) return
    this.#pending.delete(id)
    this.#settled()
    if (error) pending.reject(Object.assign(new Error(String(error.message)), error))
    else pending.resolve(result)
  }

  // Only a query in flight keeps the process alive, as a socket with nothing to do would not.
  #settled(): void {
    if (!this.#pending.size) this.#worker.unref()
  }

  #fail(error: Error): void {
    this.#failure ??= error
    for (const { reject } of this.#pending.values()) reject(error)
    this.#pending.clear()
  }
}
