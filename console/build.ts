import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'vite'

/** The console's package directory. */
export const CONSOLE_ROOT = fileURLToPath(new URL('.', import.meta.url))
/** Where the build goes, and where the router serves it from by default. */
export const CONSOLE_DIST = join(CONSOLE_ROOT, 'dist')

/** What the build is made of: the console's sources and config, and the protocol modules it imports. */
const SOURCES = [join(CONSOLE_ROOT, 'src'), join(CONSOLE_ROOT, 'index.html'), join(CONSOLE_ROOT, 'vite.config.ts'), join(CONSOLE_ROOT, 'package.json'), join(CONSOLE_ROOT, '../protocol/src')]

async function newestChange(path: string): Promise<number> {
  const info = await stat(path)
  if (!info.isDirectory()) return info.mtimeMs
  const entries = await readdir(path)
  return Math.max(info.mtimeMs, ...(await Promise.all(entries.map((entry) => newestChange(join(path, entry))))))
}

/**
 * Whether the build is missing or older than one of its sources.
 * @example
 * if (await consoleBuildIsStale()) await buildConsole()
 */
export async function consoleBuildIsStale(): Promise<boolean> {
  const built = await stat(join(CONSOLE_DIST, 'index.html')).then(
    (info) => info.mtimeMs,
    () => undefined,
  )
  if (built === undefined) return true
  const changes = await Promise.all(SOURCES.map((source) => newestChange(source)))
  return Math.max(...changes) > built
}

/**
 * Builds the console into `console/dist` with Vite (what `npm run -w @agora/console build` does).
 * @example
 * await buildConsole()
 */
export async function buildConsole(): Promise<void> {
  await build({ root: CONSOLE_ROOT, configFile: join(CONSOLE_ROOT, 'vite.config.ts'), logLevel: 'warn' })
}

/**
 * Builds the console when its build is missing or stale; `npm start` and the end-to-end tests
 * call it so that the router always serves the current sources.
 * @example
 * const { built } = await ensureConsoleBuilt()
 */
export async function ensureConsoleBuilt(): Promise<{ built: boolean }> {
  if (!(await consoleBuildIsStale())) return { built: false }
  await buildConsole()
  return { built: true }
}
