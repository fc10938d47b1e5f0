import { afterEach } from 'vitest'
import { cleanup } from '@solidjs/testing-library'

// jsdom has no canvas; say so instead of logging "not implemented", so the spend chart shows its table.
HTMLCanvasElement.prototype.getContext = (() => null) as typeof HTMLCanvasElement.prototype.getContext
// jsdom has no media queries (uPlot asks for the pixel ratio when it loads).
window.matchMedia ??= ((query: string) => ({ matches: false, media: query, onchange: null, addListener() {}, removeListener() {}, addEventListener() {}, removeEventListener() {}, dispatchEvent: () => false })) as typeof window.matchMedia
// jsdom lays nothing out, so nothing ever resizes.
globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
}

afterEach(cleanup)
