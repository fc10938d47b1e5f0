import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    exclude: ['**/node_modules/**', '**/.scratch/**'],
    // Generous: suites start real routers, provider nodes, anvil and chromium, which on a busy
    // 2-core machine can take tens of seconds. Speed is measured in bench/, never here.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Suites start real libp2p nodes and servers; two at a time suits a 2-core machine.
    maxWorkers: 2,
    projects: [
      // Everything in Node: units, integration suites, the console's end-to-end tests in chromium.
      { extends: true, test: { name: 'node', include: ['**/*.test.ts'] } },
      // The console's components in jsdom, compiled by Solid's JSX transform.
      './console/vitest.config.ts',
    ],
  },
})
