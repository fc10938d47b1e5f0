import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PGliteThread } from './pglite-thread.ts'

describe('PGliteThread', () => {
  let client: PGliteThread
  beforeAll(async () => {
    client = await PGliteThread.create()
    await client.query('CREATE TABLE t (id integer PRIMARY KEY, at timestamptz, note text)')
  })
  afterAll(() => client.close())

  it('answers queries with rows as objects or arrays, timestamps as text', async () => {
    await client.query('INSERT INTO t VALUES ($1, $2, $3)', [1, '2026-01-02T03:04:05.678Z', 'one'])
    const objects = await client.query<{ id: number; at: string; note: string }>('SELECT id, at, note FROM t WHERE id = $1', [1])
    expect(objects.rows).toEqual([{ id: 1, at: '2026-01-02 03:04:05.678+00', note: 'one' }])
    expect(objects.fields.map((field) => field.name)).toEqual(['id', 'at', 'note'])
    const arrays = await client.query('SELECT id, note FROM t', [], { rowMode: 'array' })
    expect(arrays.rows).toEqual([[1, 'one']])
  })

  it('rejects with the fields of the Postgres error', async () => {
    const error = await client.query('INSERT INTO t VALUES (1, now(), $1)', ['again']).catch((error: unknown) => error)
    expect(error).toBeInstanceOf(Error)
    expect(error).toMatchObject({ code: '23505', constraint: 't_pkey', message: expect.stringContaining('duplicate key') })
  })

  it('commits a transaction whose callback resolves and rolls back one that throws', async () => {
    await client.transaction(async (tx) => {
      await tx.query("INSERT INTO t VALUES (2, now(), 'two')")
      await tx.query("UPDATE t SET note = 'two, updated' WHERE id = 2")
    })
    await expect(
      client.transaction(async (tx) => {
        await tx.query("INSERT INTO t VALUES (3, now(), 'three')")
        throw new Error('changed my mind')
      }),
    ).rejects.toThrow('changed my mind')
    const { rows } = await client.query<{ id: number; note: string }>('SELECT id, note FROM t WHERE id > 1 ORDER BY id')
    expect(rows).toEqual([{ id: 2, note: 'two, updated' }])
  })

  it('makes other queries wait while a transaction is open', async () => {
    const seen: string[] = []
    let inside!: () => void
    const insideStarted = new Promise<void>((resolve) => (inside = resolve))
    const transaction = client.transaction(async (tx) => {
      await tx.query("INSERT INTO t VALUES (4, now(), 'four')")
      inside()
      await new Promise((resolve) => setTimeout(resolve, 50))
      seen.push('transaction done')
    })
    await insideStarted
    const outside = client.query<{ count: number }>('SELECT count(*)::integer AS count FROM t WHERE id = 4').then(({ rows }) => {
      seen.push('outside query')
      return rows[0]!.count
    })
    await transaction
    // The outside query ran after the commit, so it saw the row.
    expect(await outside).toBe(1)
    expect(seen).toEqual(['transaction done', 'outside query'])
  })

  it('refuses queries once closed', async () => {
    const other = await PGliteThread.create()
    await other.close()
    await expect(other.query('SELECT 1')).rejects.toThrow('closed')
  })
})
