import { defineConfig } from 'vite'
import solid from 'vite-plugin-solid'

/** Where `npm run -w @agora/console dev` sends `/v1` and `/api`: the router of `npm start` unless set. */
const router = process.env.AGORA_ROUTER_URL ?? 'http://127.0.0.1:8080'

// The router serves the build at /console/; the dev server proxies the API to a running router,
// keeping the browser's Host so that Sign-In with Ethereum messages name the page's own origin.
export default defineConfig({
  base: '/console/',
  plugins: [solid()],
  server: {
    port: 5173,
    proxy: { '/v1': { target: router }, '/api': { target: router } },
  },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1024 },
})
