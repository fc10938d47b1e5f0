import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ARTIFACTS_DIR, compileContracts, renderArtifacts } from '../scripts/compile.ts'

describe('committed artifacts', () => {
  it('match a fresh compilation of src/*.sol (run `npm run -w @agora/contracts build` after editing a contract)', async () => {
    const compilation = compileContracts()
    expect(compilation.warnings).toEqual([])
    for (const [file, expected] of renderArtifacts(compilation)) {
      const committed = await readFile(join(ARTIFACTS_DIR, file), 'utf8').catch(() => `${file} is missing`)
      expect(committed, `src/artifacts/${file} is stale`).toBe(expected)
    }
  }, 120_000)
})
