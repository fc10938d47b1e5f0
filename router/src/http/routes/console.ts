import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { serveStatic } from '@hono/node-server/serve-static'
import { Hono, type Context, type MiddlewareHandler, type Next } from 'hono'
import { RouteNotFoundError } from '@agora/protocol'

/** What a browser gets when the console has not been built in this checkout. */
const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Agora console not built</title>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>The console is not built</h1>
<p>This router serves the console from <code>ROUTER_CONSOLE_DIR</code>, which has no <code>index.html</code>.
Build it with <code>npm run -w @agora/console build</code> (<code>npm start</code> does it for you), then reload.</p>`

/**
 * The web console, a single-page app served from its build (`console/dist`) at `/console/`:
 * files as they are (hashed assets cached for good), any other path the app's `index.html`
 * so its client-side routes survive a reload, and a page saying how to build it when there
 * is no build. `/` leads to it.
 */
export function consoleRoutes({ dir }: { dir: string }): Hono {
  const built = () => existsSync(join(dir, 'index.html'))
  // Made on first use, once there is a build: serveStatic complains about a missing root.
  let handlers: { file: MiddlewareHandler; app: MiddlewareHandler } | undefined
  const served = () =>
    (handlers ??= {
      file: serveStatic({ root: dir, rewriteRequestPath: (path) => path.replace(/^\/console/, '') }),
      app: serveStatic({ root: dir, path: 'index.html' }),
    })
  const file: MiddlewareHandler = (c, next) => served().file(c, next)
  const app: MiddlewareHandler = (c, next) => served().app(c, next)
  const notBuilt = (c: Context) => c.html(NOT_BUILT, 503)
  const serve = (c: Context, next: Next) => {
    if (!built()) return notBuilt(c)
    c.header('Cache-Control', c.req.path.startsWith('/console/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache')
    c.header('X-Content-Type-Options', 'nosniff')
    c.header('Content-Security-Policy', "frame-ancestors 'none'")
    return next()
  }

  return new Hono()
    .get('/', (c) => c.redirect('/console/'))
    .get('/console', (c) => c.redirect('/console/'))
    .get('/console/', serve, app)
    .get('/console/:path{.+}', serve, file, (c, next) => {
      // A missing asset is a 404; any other path is one of the app's own routes.
      if (/\.[a-z0-9]+$/i.test(c.req.path)) throw new RouteNotFoundError(c.req.method, c.req.path)
      return app(c, next)
    })
}
