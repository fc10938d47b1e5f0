import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { connect } from 'node:net'
import { chmod, unlink } from 'node:fs/promises'
import type { AddressInfo, ListenOptions } from 'node:net'
import type { Registry } from 'prom-client'
import type { Logger } from 'pino'
import type { NodeStatus } from './status.ts'

export interface NodeHealth {
  ok: boolean
  /** Why it is not ok: no router connected, no model offered, draining. */
  problems: string[]
}

export interface OpsServerParameters {
  /** A Unix socket for `provider-node status` (in the data dir); none without a data dir. */
  socketPath?: string
  /** TCP port for `/health` and Prometheus `/metrics`; none while null. */
  port: number | null
  host: string
  status: () => NodeStatus
  health: () => NodeHealth
  registry: Registry
  log: Logger
}

export interface OpsServer {
  /** The TCP port it listens on, when it does. */
  readonly port: number | undefined
  close(): Promise<void>
}

/** The data dir's socket answers: a node with this identity is running already. */
export class NodeRunningError extends Error {
  override name = 'NodeRunningError'
}

/**
 * The node's local ops API: `GET /health` (200 or 503 with the problems), `GET /metrics`
 * (Prometheus text) and `GET /status` (JSON, what `provider-node status` prints). Served on
 * the data dir's Unix socket — private to the node's user, always on — and on a TCP port
 * (127.0.0.1 unless configured) only when one is configured.
 */
export async function startOpsServer({ socketPath, port, host, status, health, registry, log }: OpsServerParameters): Promise<OpsServer> {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    void respond(req, res).catch((error: unknown) => {
      log.warn({ err: error }, 'ops request failed')
      if (!res.headersSent) res.writeHead(500).end()
    })
  }
  async function respond(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://ops').pathname
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD' }).end()
    if (path === '/health') {
      const verdict = health()
      return json(res, verdict.ok ? 200 : 503, { status: verdict.ok ? 'ok' : 'unhealthy', problems: verdict.problems })
    }
    if (path === '/metrics') return void res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics())
    if (path === '/status') return json(res, 200, status())
    json(res, 404, { error: `no such path ${path}: try /health, /metrics or /status` })
  }

  const servers: Server[] = []
  try {
    if (socketPath) {
      await claimSocket(socketPath)
      servers.push(await listen(createServer(handler), { path: socketPath }))
      await chmod(socketPath, 0o600)
    }
    if (port !== null) servers.push(await listen(createServer(handler), { port, host }))
  } catch (error) {
    await Promise.all(servers.map(close))
    throw error
  }
  const tcp = port === null ? undefined : servers.at(-1)
  const boundPort = tcp ? (tcp.address() as AddressInfo).port : undefined
  if (boundPort !== undefined) log.info({ url: `http://${host}:${boundPort}`, paths: ['/health', '/metrics', '/status'] }, 'ops port open')

  return {
    port: boundPort,
    async close() {
      await Promise.all(servers.map(close))
    },
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}

function listen(server: Server, target: ListenOptions): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(target, () => {
      server.off('error', reject)
      resolve(server)
    })
  })
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

/** Removes a socket left by a node that died; refuses when a live node still answers on it. */
export async function claimSocket(socketPath: string): Promise<void> {
  const alive = await new Promise<boolean>((resolve) => {
    const socket = connect(socketPath)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
  if (alive) throw new NodeRunningError(`a provider node is already running with this data dir (it answers on ${socketPath})`)
  await unlink(socketPath).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error
  })
}
