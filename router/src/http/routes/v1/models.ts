import { Hono } from 'hono'
import { peerIdFromString } from '@libp2p/peer-id'
import { ModelNotFoundError, type ModelList } from '@agora/protocol'
import type { RelayContext } from '../../relay.ts'

/** `GET /v1/models` (the union of live offers) and `GET /v1/models/{model}`. */
export function modelRoutes({ peer, registry }: Pick<RelayContext, 'peer' | 'registry'>): Hono {
  const reachable = (peerId: string) => peer.getConnections(peerIdFromString(peerId)).length > 0
  return new Hono()
    .get('/models', (c) => c.json({ object: 'list', data: registry.catalog(Date.now(), reachable) } satisfies ModelList))
    .get('/models/:model{.+}', (c) => {
      const id = c.req.param('model')
      const model = registry.catalog(Date.now(), reachable).find((m) => m.id === id)
      if (!model) throw new ModelNotFoundError(id)
      return c.json(model)
    })
}
