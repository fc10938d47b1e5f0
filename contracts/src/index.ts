export { creditEscrowAbi, creditEscrowBytecode } from './artifacts/CreditEscrow.ts'
export { mockUsdcAbi, mockUsdcBytecode } from './artifacts/MockUSDC.ts'
export { ANVIL_DEV_ACCOUNTS, anvilBinary, startAnvil, type Anvil, type DevAccount, type StartAnvilParameters, type StartAnvilReturnType } from './anvil.ts'
export { createChainClients, type ChainClients, type CreateChainClientsParameters } from './clients.ts'
export {
  deployMarketplaceContracts,
  fundWallet,
  type DeployMarketplaceContractsParameters,
  type DeployMarketplaceContractsReturnType,
  type FundWalletParameters,
  type MarketplaceContracts,
} from './deploy.ts'
export {
  batchSettledEvent,
  claimedEvent,
  creditedEvent,
  debitedEvent,
  depositEvent,
  signDepositPermit,
  withdrawalCancelledEvent,
  withdrawalEvent,
  withdrawalRequestedEvent,
  type Credit,
  type Debit,
  type DepositWithPermitArgs,
  type PermitDomain,
  type SignDepositPermitParameters,
} from './escrow.ts'
