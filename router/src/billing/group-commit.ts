export interface GroupCommitParameters<I, O> {
  /** Runs many inputs as one statement; returns one output per input, in order. */
  run: (inputs: I[]) => Promise<O[]>
  /** The most inputs one statement takes. */
  maxBatch?: number
  /** Statements in flight at once; the next batch gathers while they run. */
  maxInFlight?: number
}

interface Waiting<I, O> {
  input: I
  resolve: (output: O) => void
  reject: (error: unknown) => void
}

/**
 * Group commit: the ledger statements of the requests that arrive in one turn of the event
 * loop go out together as one, at the end of that turn, or as soon as a statement is free
 * when two are already in flight. Nobody waits for a timer, so a lone request pays one round
 * trip as before, while under load one statement (one lock on a hot account row, one commit)
 * serves a whole batch.
 *
 * A batch that fails is run again one input at a time, so one bad input fails only itself.
 * @example
 * const holds = new GroupCommit({ run: (inputs) => placeHolds(db, inputs) })
 * const placed = await holds.submit({ accountId, keyId, amount, deadline })
 */
export class GroupCommit<I, O> {
  readonly #run: (inputs: I[]) => Promise<O[]>
  readonly #maxBatch: number
  readonly #maxInFlight: number
  #waiting: Waiting<I, O>[] = []
  #inFlight = 0
  #scheduled = false

  constructor({ run, maxBatch = 256, maxInFlight = 2 }: GroupCommitParameters<I, O>) {
    this.#run = run
    this.#maxBatch = maxBatch
    this.#maxInFlight = maxInFlight
  }

  /** Queues `input` for the next statement and resolves with its own output. */
  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#waiting.push({ input, resolve, reject })
      this.#schedule()
    })
  }

  /** Inputs waiting for a statement. */
  get waiting(): number {
    return this.#waiting.length
  }

  // setImmediate, not a timer: it runs as soon as the event loop has handled the I/O that is
  // ready now, so a lone request waits for nothing, while every request whose bytes arrived in
  // the same turn shares one statement. (A microtask would send each request's input alone
  // whenever the database answers faster than the next request arrives, as embedded PGlite does.)
  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#maxInFlight || !this.#waiting.length) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      while (this.#inFlight < this.#maxInFlight && this.#waiting.length) this.#send(this.#waiting.splice(0, this.#maxBatch))
    })
  }

  #send(batch: Waiting<I, O>[]): void {
    this.#inFlight++
    void this.#settle(batch).finally(() => {
      this.#inFlight--
      this.#schedule()
    })
  }

  async #settle(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const outputs = await this.#run(batch.map((waiting) => waiting.input))
      if (outputs.length !== batch.length) throw new Error(`a batch of ${batch.length} returned ${outputs.length} outputs`)
      batch.forEach((waiting, i) => waiting.resolve(outputs[i]!))
    } catch (error) {
      if (batch.length === 1) return batch[0]!.reject(error)
      for (const waiting of batch) {
        await this.#run([waiting.input]).then(
          ([output]) => waiting.resolve(output!),
          (single: unknown) => waiting.reject(single),
        )
      }
    }
  }
}
