import solid from 'vite-plugin-solid'
import { defineProject } from 'vitest/config'

/** The console's component tests: `*.test.tsx` beside the components, in jsdom. */
export default defineProject({
  plugins: [solid()],
  test: {
    name: 'console',
    environment: 'jsdom',
    include: ['src/**/*.test.tsx'],
    setupFiles: ['./src/test-setup.ts'],
    testTimeout: 30_000,
  },
})
