import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { dataDirPaths, loadIdentity } from '../identity.ts'
import { fetchStatus, formatStatus } from '../ops/status.ts'

export interface StatusReport {
  running: boolean
  output: string
}

/**
 * `provider-node status`: asks the node running with `dataDir` over its ops socket; when
 * none answers, says so and shows the identity from the data dir.
 */
export async function runStatus({ dataDir, json }: { dataDir: string; json: boolean }): Promise<StatusReport> {
  const paths = dataDirPaths(dataDir)
  const status = await fetchStatus(paths.opsSocket)
  if (status) return { running: true, output: json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status, Date.now()) }
  const identity = await loadIdentity(dataDir)
  const peerId = peerIdFromPrivateKey(identity.peerKey).toString()
  const payout = identity.payout.kind === 'key' ? identity.payout.account.address : identity.payout.address
  if (json) return { running: false, output: `${JSON.stringify({ state: 'stopped', peerId, payout: { address: payout, kind: identity.payout.kind } }, null, 2)}\n` }
  return {
    running: false,
    output: [
      `provider-node: not running (nothing answers on ${paths.opsSocket})`,
      `  peer id    ${peerId}`,
      `  payout     ${payout}`,
      '  earnings   not available until the escrow is configured',
      '',
    ].join('\n'),
  }
}
