export * from './errors.ts'
export * from './money.ts'
export * from './openai/index.ts'
export * from './p2p/index.ts'
