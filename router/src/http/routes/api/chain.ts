import { Hono } from 'hono'
import { MarketError } from '@agora/protocol'
import type { ChainConfig } from '../../../chain/config.ts'

/** 404 when the router runs on its off-chain ledger alone. */
class ChainNotConfiguredError extends MarketError {
  override name = 'ChainNotConfiguredError'
  constructor() {
    super(404, 'invalid_request_error', 'chain_not_configured', 'This router has no escrow on chain: its operator grants credits')
  }
}

/**
 * `GET /api/chain`: where the escrow is, for a wallet that deposits, withdraws or claims
 * (chain id, escrow and stablecoin addresses, the confirmations a deposit waits for before it
 * is credited). Never the RPC URL or the operator key. Mount behind `managementAuth`.
 */
export function chainRoutes({ chain }: { chain: Pick<ChainConfig, 'chainId' | 'escrow' | 'token' | 'confirmations'> | undefined }): Hono {
  return new Hono().get('/chain', (c) => {
    if (!chain) throw new ChainNotConfiguredError()
    return c.json({ chain_id: chain.chainId, escrow: chain.escrow, token: chain.token, confirmations: chain.confirmations })
  })
}
