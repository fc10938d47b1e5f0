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
    // Test processes open and close many PGlite databases, each on a worker thread of its own.
    // V8 in Node 24 shares compiled wasm-to-JS call wrappers across threads and now and then
    // frees one twice when threads come and go ("Check failed: jit_page_->allocations_.erase(addr)
    // == 1" in WasmImportWrapperCache::Free, nodejs/node#64500), which kills the test process; a CI
    // run lost one that way. Never tiering those wrappers up means none is compiled or freed; PGlite's
    // calls into JavaScript then stay on V8's generic wrapper, which costs no measurable time here.
    // The router keeps one PGlite for its whole life, so it runs without this.
    execArgv: ['--wasm-wrapper-tiering-budget=2147483647'],
    projects: [
      // Everything in Node: units, integration suites, the console's end-to-end tests in chromium.
      { extends: true, test: { name: 'node', include: ['**/*.test.ts'] } },
      // The console's components in jsdom, compiled by Solid's JSX transform.
      './console/vitest.config.ts',
    ],
  },
})
