import { Hono } from 'hono'
import { ModelNotFoundError, type ModelList } from '@agora/protocol'
import type { RelayContext } from '../../relay.ts'

/** `GET /v1/models` (the union of live offers) and `GET /v1/models/{model}`. */
export function modelRoutes({ routing }: Pick<RelayContext, 'routing'>): Hono {
  const catalog = () => routing.registry.catalog(routing.now(), routing.reachable)
  return new Hono()
    .get('/models', (c) => c.json({ object: 'list', data: catalog() } satisfies ModelList))
    .get('/models/:model{.+}', (c) => {
      const id = c.req.param('model')
      const model = catalog().find((m) => m.id === id)
      if (!model) throw new ModelNotFoundError(id)
      return c.json(model)
    })
}
