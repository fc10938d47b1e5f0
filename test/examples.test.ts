import { afterAll, beforeAll, describe, it, expect } from 'vitest'
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { startMarketplace, type Marketplace } from './fixtures/marketplace.ts'

/**
 * Runs every file of `examples/` as people run it, in its own process, against a local
 * marketplace. The child gets only PATH and the AGORA_* variables, so an example that
 * depends on anything else fails here.
 */
const root = resolve(import.meta.dirname, '..')
// Under `npm test` this is the Node 24 of the `node` devDependency; libp2p needs ≥ 22.
const node = process.execPath
const tsxCli = createRequire(import.meta.url).resolve('tsx/cli')

interface Run {
  code: number
  stdout: string
  stderr: string
}

let market: Marketplace

beforeAll(async () => {
  market = await startMarketplace()
})

afterAll(async () => {
  await market?.stop()
})

function run(command: string, args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  const env = { PATH: process.env.PATH ?? '', AGORA_BASE_URL: market.baseURL, AGORA_API_KEY: market.apiKey, ...extraEnv }
  return new Promise((done) => {
    execFile(command, args, { cwd: root, env, timeout: 50_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr })
    })
  })
}

const example = (file: string, env?: Record<string, string>) => run(node, [tsxCli, `examples/${file}`], env)

/** The text after `label: ` on the line that starts with it. */
function line(stdout: string, label: string): string {
  const prefix = `${label}: `
  const found = stdout.split('\n').find((l) => l.startsWith(prefix))
  expect(found, `a line starting with "${prefix}" in:\n${stdout}`).toBeDefined()
  return found!.slice(prefix.length)
}

describe.concurrent('examples', () => {
  it('openai.ts: chat, a stream with usage, and embeddings of the dev engine’s dimension', async () => {
    const { code, stdout, stderr } = await example('openai.ts')
    expect(code, stderr).toBe(0)
    expect(line(stdout, 'chat (dev/chat via local-dev)').trim().length).toBeGreaterThan(0)
    expect(line(stdout, 'stream').trim().length).toBeGreaterThan(0)
    expect(line(stdout, 'stream usage')).toMatch(/^[1-9]\d* completion tokens$/)
    // The dev engine's default dimension; the SDK asks for base64 and decodes it.
    expect(line(stdout, 'embeddings (dev/embed)')).toBe('2 vectors x 256 dimensions')
  })

  it('vercel-ai.ts: generateText and streamText', async () => {
    const { code, stdout, stderr } = await example('vercel-ai.ts')
    expect(code, stderr).toBe(0)
    expect(line(stdout, 'generateText').trim().length).toBeGreaterThan(0)
    expect(line(stdout, 'usage')).toMatch(/^\d+ input \+ \d+ output tokens \(finish: stop\)$/)
    expect(line(stdout, 'streamText').trim().length).toBeGreaterThan(0)
    expect(line(stdout, 'stream usage')).toMatch(/^[1-9]\d* output tokens$/)
  })

  it('langchain.ts: invoke and stream', async () => {
    const { code, stdout, stderr } = await example('langchain.ts')
    expect(code, stderr).toBe(0)
    expect(line(stdout, 'invoke').trim().length).toBeGreaterThan(0)
    expect(line(stdout, 'usage')).toMatch(/^[1-9]\d* input \+ [1-9]\d* output tokens$/)
    expect(line(stdout, 'stream').trim().length).toBeGreaterThan(0)
  })

  it('curl.sh: chat, an SSE stream ending in [DONE], and the catalog', async () => {
    const { code, stdout, stderr } = await run('bash', ['examples/curl.sh'])
    expect(code, stderr).toBe(0)
    expect(stdout).toContain('"object":"chat.completion"')
    expect(stdout).toMatch(/^data: \{.*"object":"chat\.completion\.chunk"/m)
    expect(stdout).toMatch(/^data: \[DONE\]$/m)
    expect(stdout).toContain('"id":"dev/chat"')
  })

  it('every example exits non-zero, naming the problem, when the model does not exist', async () => {
    const runs = await Promise.all([
      example('openai.ts', { AGORA_MODEL: 'no/such-model' }),
      example('vercel-ai.ts', { AGORA_MODEL: 'no/such-model' }),
      example('langchain.ts', { AGORA_MODEL: 'no/such-model' }),
      run('bash', ['examples/curl.sh'], { AGORA_MODEL: 'no/such-model' }),
    ])
    for (const { code, stdout, stderr } of runs) {
      expect(code).not.toBe(0)
      expect(stdout + stderr).toContain('The model `no/such-model` does not exist')
    }
  })
})
