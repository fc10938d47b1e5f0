export { startRouter, type Router } from './router.ts'
export { RouterConfig, routerConfigFromEnv, type RouterConfigInput } from './config.ts'
export { OfferRegistry, type Candidate } from './routing/registry.ts'
export { createApp, type AppParameters } from './http/app.ts'
