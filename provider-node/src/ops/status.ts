import { z } from 'zod'
import { Agent, request } from 'undici'
import { formatUsd } from '@agora/protocol'

/** What `GET /status` of the ops API answers: the one schema the node fills and `provider-node status` reads. */
export const NodeStatus = z.object({
  name: z.string(),
  peerId: z.string(),
  engine: z.string(),
  /** `key`: the node holds the payout key; `address`: the key is in a wallet elsewhere. */
  payout: z.object({ address: z.string(), kind: z.enum(['key', 'address']) }),
  state: z.enum(['running', 'draining']),
  pid: z.number().int(),
  startedAt: z.number().int(),
  /** The node's own libp2p addresses (routers do not need them: they answer over the node's connection). */
  listen: z.array(z.string()),
  routers: z.array(
    z.object({
      address: z.string(),
      peerId: z.string(),
      connected: z.boolean(),
      since: z.number().int(),
      failures: z.number().int(),
      lastError: z.string().optional(),
      nextDialAt: z.number().int().optional(),
    }),
  ),
  /** The offer last published, as published; null before the first. */
  offer: z
    .object({
      seq: z.number().int(),
      expiresAt: z.number().int(),
      models: z.array(
        z.object({
          id: z.string(),
          contextLength: z.number().int(),
          quantization: z.string().optional(),
          pricing: z.object({ inputPerMTok: z.string(), outputPerMTok: z.string() }),
          maxConcurrency: z.number().int(),
          inFlight: z.number().int(),
        }),
      ),
    })
    .nullable(),
  /** Each published model's admission now. */
  capacity: z.array(z.object({ model: z.string(), running: z.number().int(), queued: z.number().int(), maxConcurrency: z.number().int(), maxQueue: z.number().int() })),
  requests: z.object({ total: z.number().int(), succeeded: z.number().int(), failed: z.number().int(), aborted: z.number().int(), busy: z.number().int() }),
  tokens: z.object({ prompt: z.number().int(), completion: z.number().int() }),
  /** Earnings settled on chain: null until the escrow is configured. */
  earnings: z.null(),
})
export type NodeStatus = z.infer<typeof NodeStatus>

/**
 * Asks the running node for its status over the ops socket in its data dir; undefined when
 * no node answers there.
 */
export async function fetchStatus(socketPath: string): Promise<NodeStatus | undefined> {
  const dispatcher = new Agent({ connect: { socketPath } })
  try {
    const response = await request('http://provider-node/status', { dispatcher, signal: AbortSignal.timeout(5_000) })
    if (response.statusCode !== 200) throw new Error(`the node answered ${response.statusCode}`)
    return NodeStatus.parse(await response.body.json())
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ECONNREFUSED') return undefined
    throw error
  } finally {
    await dispatcher.close()
  }
}

/**
 * The status as `provider-node status` prints it.
 * @example
 * process.stdout.write(formatStatus(status, Date.now()))
 */
export function formatStatus(status: NodeStatus, now: number): string {
  const connected = status.routers.filter((r) => r.connected).length
  const lines = [
    `provider-node ${status.name}: ${status.state}, pid ${status.pid}, up ${duration(now - status.startedAt)}`,
    `  peer id    ${status.peerId}`,
    `  payout     ${status.payout.address} (${status.payout.kind === 'key' ? 'key in the data dir' : 'key in your wallet'})`,
    `  engine     ${status.engine}`,
    `  routers    ${connected} of ${status.routers.length} connected`,
    ...status.routers.map((r) =>
      r.connected
        ? `    ${r.address}  connected for ${duration(now - r.since)}`
        : `    ${r.address}  DISCONNECTED for ${duration(now - r.since)}, ${r.failures} failed dials${r.nextDialAt ? `, next in ${duration(Math.max(0, r.nextDialAt - now))}` : ''}${r.lastError ? ` (${r.lastError})` : ''}`,
    ),
  ]
  if (!status.offer) lines.push('  offer      none published yet')
  else {
    lines.push(`  offer      seq ${status.offer.seq}, expires in ${duration(Math.max(0, status.offer.expiresAt - now))}, ${status.offer.models.length} model${status.offer.models.length === 1 ? '' : 's'}`)
    for (const m of status.offer.models) {
      const load = status.capacity.find((c) => c.model === m.id)
      lines.push(
        `    ${m.id}  context ${m.contextLength}${m.quantization ? `  ${m.quantization}` : ''}  $${formatUsd(BigInt(m.pricing.inputPerMTok))} in / $${formatUsd(BigInt(m.pricing.outputPerMTok))} out per M tokens` +
          (load ? `  running ${load.running}/${load.maxConcurrency}, queued ${load.queued}/${load.maxQueue}` : ''),
      )
    }
  }
  const { total, succeeded, failed, aborted, busy } = status.requests
  lines.push(
    `  requests   ${total} (${succeeded} succeeded, ${failed} failed, ${aborted} aborted, ${busy} busy)`,
    `  tokens     ${status.tokens.prompt} prompt, ${status.tokens.completion} completion`,
    '  earnings   not available until the escrow is configured',
  )
  return `${lines.join('\n')}\n`
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${s % 60}s`
  const h = Math.floor(m / 60)
  return h < 48 ? `${h}h ${m % 60}m` : `${Math.floor(h / 24)}d ${h % 24}h`
}
