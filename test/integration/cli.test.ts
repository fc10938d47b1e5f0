import { afterEach, describe, it, expect } from 'vitest'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'

/**
 * The commands as people run them, each in its own process: `npm start`'s script and the
 * curl line it prints, and a router and a provider node started from their CLIs.
 */
const root = resolve(import.meta.dirname, '../..')
const tsx = join(root, 'node_modules/.bin/tsx')
const children: ChildProcess[] = []

afterEach(async () => {
  await Promise.all(
    children.splice(0).map(
      (child) =>
        new Promise<void>((done) => {
          if (child.exitCode !== null) return done()
          child.once('exit', () => done())
          child.kill('SIGTERM')
        }),
    ),
  )
})

/** Starts a process and resolves with the first stdout line `match` accepts. */
function startUntil(command: string, args: string[], match: (line: string) => boolean, env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; line: string; lines: string[] }> {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  const lines: string[] = []
  let stderr = ''
  child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()))
  return new Promise((resolveLine, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} ${args.join(' ')} printed nothing useful:\n${lines.join('\n')}\n${stderr}`)), 120_000)
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line)
      if (match(line)) {
        clearTimeout(timer)
        resolveLine({ child, line, lines })
      }
    })
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}:\n${lines.join('\n')}\n${stderr}`)))
  })
}

describe('npm start', () => {
  it('prints a base URL, a key and a curl line that works when pasted', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'agora-start-'))
    const { line: curlLine, lines } = await startUntil(tsx, ['test/fixtures/start.ts', '--port', '0', '--chain-port', '0', '--data-dir', dataDir], (line) => line.trim().startsWith('curl '))
    expect(lines.join('\n')).toMatch(/API base URL\s+http:\/\/127\.0\.0\.1:\d+\/v1/)
    expect(lines.join('\n')).toMatch(/API key\s+sk-agora-/)
    const { stdout } = await promisify(execFile)('bash', ['-c', curlLine.trim() + ' --silent --fail-with-body'])
    const completion = JSON.parse(stdout)
    expect(completion.object).toBe('chat.completion')
    expect(completion.choices[0].message.content.length).toBeGreaterThan(0)
  }, 180_000)
})

describe('router and provider-node CLIs', () => {
  it('print help', async () => {
    const run = promisify(execFile)
    expect((await run(tsx, ['router/src/main.ts', '--help'], { cwd: root })).stdout).toMatch(/ROUTER_ADMIN_TOKEN[\s\S]*ROUTER_CHAIN_RPC_URL/)
    expect((await run(tsx, ['provider-node/src/main.ts', '--help'], { cwd: root })).stdout).toMatch(/provider-node init .*\n.*provider-node start /)
    expect((await run(tsx, ['provider-node/src/main.ts', 'earnings', '--help'], { cwd: root })).stdout).toMatch(/earningsOf\(payout\)/)
    expect((await run(tsx, ['provider-node/src/main.ts', 'claim', '--help'], { cwd: root })).stdout).toMatch(/PROVIDER_ESCROW_ADDRESS/)
  }, 120_000)

  it('reject a bad provider config naming the field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agora-cli-'))
    const config = join(dir, 'provider.json')
    await writeFile(config, JSON.stringify({ bootstrap: ['/ip4/127.0.0.1/tcp/1/p2p/x'], engine: { kind: 'dev' }, models: [{ id: 'm', pricing: { inputPerMTok: -5, outputPerMTok: 1 } }] }))
    const result = await promisify(execFile)(tsx, ['provider-node/src/main.ts', 'start', '--config', config], { cwd: root }).catch((e: { code: number; stderr: string }) => e)
    expect((result as { code: number }).code).toBe(2)
    expect((result as { stderr: string }).stderr).toMatch(/models\.0\.pricing\.inputPerMTok|models\[0\]\.pricing\.inputPerMTok/)
  }, 120_000)

  it('find each other over libp2p as separate processes and serve a request', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agora-cli-'))
    const admin = 'admin-token-of-the-cli-test'
    const { line } = await startUntil(tsx, ['router/src/main.ts'], (l) => l.includes('router started'), {
      ROUTER_ADMIN_TOKEN: admin,
      ROUTER_DATA_DIR: join(dir, 'router'),
      ROUTER_PORT: '0',
      LOG_LEVEL: 'info',
    })
    const { url, multiaddrs } = JSON.parse(line) as { url: string; multiaddrs: string[] }

    // An operator opens an account, grants it credits and makes a key, through the management API.
    const manage = (path: string, body: unknown) =>
      fetch(`${url}/api${path}`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    const address = '0x00000000000000000000000000000000000c11e0'
    expect((await manage('/accounts', { address })).status).toBe(201)
    expect((await manage(`/accounts/${address}/credits`, { amount_micro_usd: '5000000', note: 'cli test' })).status).toBe(200)
    const created = await manage(`/accounts/${address}/keys`, { name: 'cli' })
    const { secret: key } = (await created.json()) as { secret: string }

    // The node's identity first (provider-cli.test.ts covers init itself), then a config of our own.
    const dataDir = join(dir, 'node')
    await promisify(execFile)(tsx, ['provider-node/src/main.ts', 'init', '--data-dir', dataDir], { cwd: root })
    const config = join(dir, 'provider.json')
    await writeFile(config, JSON.stringify({ name: 'cli-node', engine: { kind: 'dev' }, models: [{ id: 'dev/cli' }] }))
    await startUntil(tsx, ['provider-node/src/main.ts', 'start', '--data-dir', dataDir, '--config', config], (l) => l.includes('provider node started'), {
      PROVIDER_BOOTSTRAP: multiaddrs.join(','),
      LOG_LEVEL: 'info',
    })
    const ask = () =>
      fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'dev/cli', messages: [{ role: 'user', content: 'hi' }] }),
      })
    let response = await ask()
    for (let i = 0; i < 100 && response.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 50))
      response = await ask()
    }
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ object: 'chat.completion', model: 'dev/cli', provider: 'cli-node' })
  }, 300_000)
})
