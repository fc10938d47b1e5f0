import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'

/** A process the benchmark started, and the announcement it printed when ready. */
export interface ChildProcessHandle<T> {
  pid: number
  ready: T
  /** SIGTERM, then SIGKILL if it has not exited within a few seconds. */
  stop(): Promise<void>
}

const READY_TIMEOUT_MS = 120_000
const STOP_GRACE_MS = 5_000
const TSX_LOADER = import.meta.resolve('tsx')
const MOCK_UPSTREAM_CLI = new URL('../../test/fixtures/mock-openai-upstream-cli.ts', import.meta.url)
const MARKETPLACE_PROCESS = new URL('./marketplace-process.ts', import.meta.url)

/**
 * Runs a TypeScript `script` in its own Node process (this Node, with the tsx loader) and
 * resolves once a stdout line passes `announce`; other stdout lines go to our stderr.
 * The child's stdin is a pipe from this process, so it closes when this process exits
 * however it exits: `marketplace-process.ts` stops then.
 */
async function startChild<T>(script: URL, args: string[], announce: (line: string) => T | undefined): Promise<ChildProcessHandle<T>> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, fileURLToPath(script), ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const stop = async () => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
    await exited
    clearTimeout(timer)
  }

  const lines = createInterface({ input: child.stdout })
  try {
    const ready = await new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${script.pathname} was not ready within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS)
      child.once('error', reject)
      void exited.then((code) => reject(new Error(`${script.pathname} exited with ${String(code)} before it was ready`)))
      lines.on('line', (line) => {
        const announced = announce(line)
        if (announced === undefined) process.stderr.write(`${line}\n`)
        else {
          clearTimeout(timer)
          resolve(announced)
        }
      })
    })
    return { pid: child.pid!, ready, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

export interface MockUpstreamSettings {
  latencyMs: number
  tokens: number
  interTokenMs: number
}

/** Starts the mock OpenAI upstream CLI; `ready` is its base URL, ending in `/v1`. */
export function startMockUpstreamProcess({ latencyMs, tokens, interTokenMs }: MockUpstreamSettings): Promise<ChildProcessHandle<string>> {
  const args = ['--port', '0', '--latency-ms', String(latencyMs), '--tokens', String(tokens), '--inter-token-ms', String(interTokenMs)]
  return startChild(MOCK_UPSTREAM_CLI, args, (line) => z.url().safeParse(line.trim()).data)
}

const MarketplaceReady = z.object({ baseURL: z.url(), apiKey: z.string().min(1), pid: z.number().int().positive() })
export type MarketplaceReady = z.infer<typeof MarketplaceReady>

/**
 * Starts `marketplace-process.ts` (router + one `openai`-engine provider) in front of
 * `upstreamUrl`, charging requests or not.
 */
export function startMarketplaceProcess(upstreamUrl: string, model: string, billing: 'on' | 'off'): Promise<ChildProcessHandle<MarketplaceReady>> {
  return startChild(MARKETPLACE_PROCESS, ['--upstream-url', upstreamUrl, '--model', model, '--billing', billing], (line) => {
    try {
      return MarketplaceReady.safeParse(JSON.parse(line)).data
    } catch {
      return undefined
    }
  })
}
