import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/.scratch/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Suites start real libp2p nodes and servers; two at a time suits a 2-core machine.
    maxWorkers: 2,
  },
})
