export * from './constants.ts'
export * from './offer.ts'
export * from './frames.ts'
export * from './peer.ts'
