import { afterAll, describe, it, expect } from 'vitest'
import { mkdtemp, readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RouterConfig, devAccount, startRouter, type Router } from '@agora/router'
import { dataDirPaths, initIdentity, loadProviderConfig, startProviderNode, type ProviderNode } from '@agora/provider-node'
import { startMarketplace, waitFor, type Marketplace } from '../fixtures/marketplace.ts'
import { post } from '../fixtures/provider.ts'

/**
 * The node's links to its routers over real libp2p: it dials out and keeps dialing — a
 * router that comes up after it, a router that restarts — and routers answer over the
 * connection the node opened, so a node that accepts no connection at all is served.
 */
const cleanup: Array<() => Promise<void>> = []

afterAll(async () => {
  for (const stop of cleanup.reverse()) await stop()
})

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening))
  const { port } = server.address() as { port: number }
  await new Promise((closed) => server.close(closed))
  return port
}

describe('router links', () => {
  it('connects to a router that comes up after the node, and reconnects after the router restarts with the same key and port', async () => {
    // A libp2p key for the router, in the format of ROUTER_PEER_KEY (the same as a node's peer.key).
    const keyDir = await mkdtemp(join(tmpdir(), 'agora-router-key-'))
    const { peerId: routerPeerId } = await initIdentity(keyDir)
    const peerPrivateKey = (await readFile(dataDirPaths(keyDir).peerKey, 'utf8')).trim()
    const port = await freePort()
    const routerConfig = RouterConfig.parse({ host: '127.0.0.1', port: 0, dataDir: '', logLevel: 'error', peerPrivateKey, p2pListen: [`/ip4/127.0.0.1/tcp/${port}`] })
    const startMarket = async (): Promise<{ router: Router; market: Pick<Marketplace, 'baseURL' | 'apiKey'> }> => {
      const router = await startRouter(routerConfig)
      const { secret } = await devAccount(router, { credits: 10_000_000n })
      return { router, market: { baseURL: `${router.url}/v1`, apiKey: secret } }
    }

    // The node starts first: its router is not up yet.
    const node = await startProviderNode(
      loadProviderConfig({
        name: 'steadfast',
        bootstrap: [`/ip4/127.0.0.1/tcp/${port}/p2p/${routerPeerId}`],
        engine: { kind: 'dev' },
        models: [{ id: 'dev/net' }],
        reconnect: { minDelayMs: 200, maxDelayMs: 1_000 },
        logLevel: 'error',
      }),
    )
    cleanup.push(() => node.stop())
    expect(node.status().routers[0]).toMatchObject({ connected: false, failures: 1 })

    let { router, market } = await startMarket()
    await waitFor(() => router.registry.get(node.peerId)?.models.length === 1, 'the offer once the router is up', 60_000)
    expect((await post(market, '/chat/completions', { model: 'dev/net', messages: [{ role: 'user', content: 'hi' }] })).status).toBe(200)

    await router.stop()
    await waitFor(() => node.status().routers[0]?.connected === false, 'the node to notice the router is gone')
    ;({ router, market } = await startMarket())
    cleanup.push(() => router.stop())
    await waitFor(() => router.registry.get(node.peerId)?.models.length === 1, 'the offer after the restart', 60_000)
    const again = await post(market, '/chat/completions', { model: 'dev/net', messages: [{ role: 'user', content: 'hi again' }] })
    expect(again.status).toBe(200)
    expect(((await again.json()) as { provider: string }).provider).toBe('steadfast')
    expect(node.status().routers[0]).toMatchObject({ connected: true, failures: 0 })
  }, 300_000)

  it('serves a node that listens on nothing (behind NAT) over the connection it dialed', async () => {
    const market = await startMarketplace({ logLevel: 'error', providers: [] })
    cleanup.push(() => market.stop())
    const node: ProviderNode = await market.addProvider({ name: 'behind-nat', listen: [], engine: { kind: 'dev' }, models: [{ id: 'dev/nat' }] })
    expect(node.peer.getMultiaddrs()).toEqual([])
    const response = await post(market, '/chat/completions', { model: 'dev/nat', messages: [{ role: 'user', content: 'hi' }] })
    expect(response.status).toBe(200)
    expect(((await response.json()) as { provider: string }).provider).toBe('behind-nat')
    // The router never dialed the node: its only connection to it is the one the node opened.
    const connections = market.router.peer.getConnections().filter((c) => c.remotePeer.toString() === node.peerId)
    expect(connections.map((c) => c.direction)).toEqual(['inbound'])
  }, 240_000)
})
