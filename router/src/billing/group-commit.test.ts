import { describe, expect, it } from 'vitest'
import { GroupCommit } from './group-commit.ts'

/** A statement that records each batch it was given and answers after the test lets it. */
function recordingStatement() {
  const batches: number[][] = []
  const gates: Array<() => void> = []
  const run = async (inputs: number[]) => {
    batches.push(inputs)
    await new Promise<void>((resolve) => gates.push(resolve))
    if (inputs.includes(-1)) throw new Error('bad input in batch')
    return inputs.map((input) => input * 10)
  }
  const openAll = async () => {
    while (gates.length) gates.shift()!()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return { batches, run, openAll }
}

describe('GroupCommit', () => {
  it('sends a lone input at the end of its turn, and batches what arrives while a statement is in flight', async () => {
    const statement = recordingStatement()
    const commit = new GroupCommit({ run: statement.run, maxInFlight: 1 })
    const first = commit.submit(1)
    await new Promise((resolve) => setImmediate(resolve))
    expect(statement.batches).toEqual([[1]])

    const later = [commit.submit(2), commit.submit(3), commit.submit(4)]
    await new Promise((resolve) => setImmediate(resolve))
    expect(commit.waiting).toBe(3)
    for (let i = 0; i < 3; i++) await statement.openAll()
    expect(await first).toBe(10)
    expect(await Promise.all(later)).toEqual([20, 30, 40])
    expect(statement.batches).toEqual([[1], [2, 3, 4]])
  })

  it('puts inputs submitted in the same turn of the event loop into one statement, up to maxBatch', async () => {
    const statement = recordingStatement()
    const commit = new GroupCommit({ run: statement.run, maxBatch: 2, maxInFlight: 4 })
    const outputs = Promise.all([1, 2, 3, 4, 5].map((input) => commit.submit(input)))
    await new Promise((resolve) => setImmediate(resolve))
    expect(statement.batches).toEqual([[1, 2], [3, 4], [5]])
    await statement.openAll()
    expect(await outputs).toEqual([10, 20, 30, 40, 50])
  })

  it('puts inputs from separate callbacks of one turn into one statement (as requests whose bytes arrive together)', async () => {
    const statement = recordingStatement()
    const commit = new GroupCommit({ run: statement.run })
    const outputs = await new Promise<Promise<number>[]>((resolve) => {
      const submitted: Promise<number>[] = []
      setImmediate(() => submitted.push(commit.submit(1)))
      setImmediate(() => submitted.push(commit.submit(2)))
      setImmediate(() => resolve(submitted))
    })
    await new Promise((resolve) => setImmediate(resolve))
    expect(statement.batches).toEqual([[1, 2]])
    await statement.openAll()
    expect(await Promise.all(outputs)).toEqual([10, 20])
  })

  it('runs a failed batch again one input at a time, so only the bad input fails', async () => {
    const statement = recordingStatement()
    const commit = new GroupCommit({ run: statement.run, maxInFlight: 1 })
    const submitted = [commit.submit(1), commit.submit(-1), commit.submit(3)].map((p) => p.then((v) => ({ ok: v }), (e: Error) => ({ error: e.message })))
    for (let i = 0; i < 5; i++) await statement.openAll()
    expect(await Promise.all(submitted)).toEqual([{ ok: 10 }, { error: 'bad input in batch' }, { ok: 30 }])
    expect(statement.batches).toEqual([[1, -1, 3], [1], [-1], [3]])
  })

  it('rejects every input when a statement answers the wrong number of outputs', async () => {
    const commit = new GroupCommit<number, number>({ run: async () => [] })
    await expect(commit.submit(1)).rejects.toThrow('a batch of 1 returned 0 outputs')
  })
})
