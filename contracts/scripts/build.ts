import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ARTIFACTS_DIR, compileContracts, renderArtifacts } from './compile.ts'

/** `npm run -w @agora/contracts build`: compiles src/*.sol and writes src/artifacts/*.ts (committed). */
const compilation = compileContracts()
for (const warning of compilation.warnings) process.stderr.write(`${warning}\n`)
await mkdir(ARTIFACTS_DIR, { recursive: true })
for (const [file, content] of renderArtifacts(compilation)) {
  await writeFile(join(ARTIFACTS_DIR, file), content)
  process.stdout.write(`wrote src/artifacts/${file}\n`)
}
if (compilation.warnings.length > 0) process.exitCode = 1
