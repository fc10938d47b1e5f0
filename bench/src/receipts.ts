/**
 * What a signed usage receipt costs in CPU, per request: signing on the provider, and on
 * the router reading the frame's JSON, checking its fields and verifying its signature
 * (libsecp256k1, native or WebAssembly: protocol/src/p2p/secp256k1.ts). Writes
 * `results/receipts.{json,md}`.
 *
 *   npm run -w bench bench:receipts -- --rounds 10 --per-round 200
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { SignedReceipt, encodeReceipt, hashReceipt, requestCost, secp256k1Backend, signReceipt, verifyReceipt, type Receipt } from '@agora/protocol'
import { machineInfo } from './machine.ts'

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '10' }, 'per-round': { type: 'string', default: '200' } } })
const rounds = Number(values.rounds)
const perRound = Number(values['per-round'])

const key = generatePrivateKey()
const account = privateKeyToAccount(key)
const pricing = { inputPerMTok: 150_000n, outputPerMTok: 600_000n }
const receipt = (i: number): Receipt => ({
  generationId: `gen-mww0kjlz-${i.toString().padStart(12, '0')}`,
  routerPeerId: '12D3KooWHepk1avmgbCbMfHZK79rnat17xhwsfgfqQnmjVkwe6NS',
  providerPeerId: '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK',
  model: 'meta-llama/Llama-3.1-8B-Instruct',
  promptTokens: 1_000 + i,
  completionTokens: 500,
  ...pricing,
  cost: requestCost({ promptTokens: 1_000 + i, completionTokens: 500 }, pricing),
  timestamp: Date.now(),
})
const signed = await Promise.all(Array.from({ length: perRound }, (_, i) => signReceipt({ privateKey: key, receipt: receipt(i) })))
const wire = signed.map((r) => JSON.stringify(encodeReceipt(r)))

const operations: Record<string, (i: number) => unknown> = {
  'sign (provider)': (i) => signReceipt({ privateKey: key, receipt: receipt(i) }),
  'parse the frame (router)': (i) => SignedReceipt.parse(JSON.parse(wire[i]!)),
  'hash (Merkle leaf input)': (i) => hashReceipt(signed[i]!),
  'verify signature (router)': (i) => verifyReceipt(signed[i]!, account.address),
}

interface Figure {
  medianUs: number
  minUs: number
  maxUs: number
}

/**
 * Mean microseconds per call of each round, after a round of warm-up: this process's CPU
 * time (user + system), which other processes on the machine barely change, and wall time.
 */
async function measure(run: (i: number) => unknown): Promise<{ cpu: Figure; wall: Figure }> {
  const cpu: number[] = []
  const wall: number[] = []
  for (let round = -1; round < rounds; round++) {
    const startedAt = performance.now()
    const startedCpu = process.cpuUsage()
    for (let i = 0; i < perRound; i++) await run(i)
    const used = process.cpuUsage(startedCpu)
    if (round >= 0) {
      cpu.push((used.user + used.system) / perRound)
      wall.push(((performance.now() - startedAt) * 1000) / perRound)
    }
  }
  return { cpu: figure(cpu), wall: figure(wall) }
}

function figure(means: number[]): Figure {
  const sorted = [...means].sort((a, b) => a - b)
  return { medianUs: sorted[Math.floor(sorted.length / 2)]!, minUs: sorted[0]!, maxUs: sorted.at(-1)! }
}

const results: Record<string, { cpu: Figure; wall: Figure }> = {}
for (const [name, run] of Object.entries(operations)) results[name] = await measure(run)

const machine = machineInfo()
// Other processes inflate every figure: say how busy the machine was.
const load = loadavg()[0]!
const ms = (us: number) => (us / 1000).toFixed(3)
const rows = Object.entries(results).map(([name, { cpu, wall }]) => `| ${name} | ${ms(cpu.medianUs)} ms | ${ms(cpu.minUs)}–${ms(cpu.maxUs)} ms | ${ms(wall.medianUs)} ms |`)
const markdown = [
  '# Usage receipts: CPU per request',
  '',
  `${machine.date} · ${machine.cpuModel}, ${machine.cores} cores · Node ${machine.node} · ${rounds} rounds of ${perRound} calls, one thread · secp256k1: ${secp256k1Backend} · load average ${load.toFixed(2)} (CPU time is this process's own; wall time grows with the load)`,
  '',
  '| Operation | CPU per call (median of rounds) | CPU, range of rounds | Wall time per call (median) |',
  '|---|---|---|---|',
  ...rows,
  '',
].join('\n')
const dir = new URL('../results/', import.meta.url)
await mkdir(dir, { recursive: true })
await writeFile(new URL('receipts.json', dir), `${JSON.stringify({ machine, loadAverage: load, secp256k1: secp256k1Backend, rounds, perRound, results }, null, 2)}\n`)
await writeFile(new URL('receipts.md', dir), markdown)
console.log(markdown)
