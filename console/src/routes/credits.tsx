import { createResource, createSignal, For, onMount } from 'solid-js'
import type { JournalEntry } from '../api/schemas.ts'
import { createEscrow, WalletEscrow } from '../components/escrow.tsx'
import { Page, Panel, Stat, TableWrap } from '../components/page.tsx'
import { Async, latestOf } from '../components/status.tsx'
import { useConsole } from '../context.tsx'
import { dateTime, usd } from '../format.ts'

/** Journal entries per page. */
const PAGE_SIZE = 25

/** What each kind of journal entry means, for people. */
export const JOURNAL_KINDS: Record<JournalEntry['kind'], string> = {
  deposit: 'Deposit',
  adjustment: 'Grant or correction',
  hold: 'Held for a request',
  charge: 'Charged',
  release: 'Released',
  refund: 'Refund',
}

/** The balance and every change to it; deposits and withdrawals when the router has an escrow on chain. */
export function Credits() {
  const { api, address, account, refreshAccount } = useConsole()
  const escrow = createEscrow(api, address)
  onMount(refreshAccount)
  // Ids of the first entry of each page seen, so "newer" can go back.
  const [cursors, setCursors] = createSignal<Array<number | undefined>>([undefined])
  const before = () => cursors().at(-1)
  const [journal, { refetch }] = createResource(() => ({ address: address(), before: before() }), ({ address, before }) => api.journal(address, { limit: PAGE_SIZE + 1, ...(before === undefined ? {} : { before }) }))

  return (
    <Page title="Credits" intro="Your balance pays for requests: each holds the most it can cost, then is charged what it used.">
      <Async resource={account} retry={refreshAccount}>
        {(a) => (
          <div class="stats">
            <Stat label="Balance" value={usd(a.credits.balance_micro_usd)} />
            <Stat label="Deposited" value={usd(a.credits.deposited_micro_usd)} />
            <Stat label="Granted by the operator" value={usd(a.credits.adjusted_micro_usd)} />
            <Stat label="Used" value={usd(a.credits.used_micro_usd)} />
            <Stat label="Held by running requests" value={usd(a.credits.held_micro_usd)} />
          </div>
        )}
      </Async>
      <Async resource={escrow.info} loadingText="Looking for the router's escrow…">
        {(info) =>
          info ? (
            <WalletEscrow
              escrow={escrow}
              onCredited={() => {
                refreshAccount()
                setCursors([undefined])
                void refetch()
              }}
            />
          ) : (
            <Panel title="Deposits">
              <p>This router has no escrow on chain: its operator grants credits.</p>
            </Panel>
          )
        }
      </Async>
      <Panel title="History">
        <Async resource={journal} retry={() => void refetch()} isEmpty={(rows) => rows.length === 0} emptyText="No balance changes yet.">
          {(rows) => (
            <TableWrap label="History">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Time (UTC)</th>
                    <th scope="col">What</th>
                    <th scope="col" class="num">Amount</th>
                    <th scope="col">Reference</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={rows.slice(0, PAGE_SIZE)}>
                    {(entry) => (
                      <tr>
                        <td>
                          <time datetime={entry.created_at}>{dateTime(entry.created_at)}</time>
                        </td>
                        <th scope="row">{JOURNAL_KINDS[entry.kind]}</th>
                        <td class={`num ${BigInt(entry.amount_micro_usd) < 0n ? 'negative' : 'positive'}`}>
                          {BigInt(entry.amount_micro_usd) > 0n ? '+' : ''}
                          {usd(entry.amount_micro_usd)}
                        </td>
                        <td class="ref">{entry.note ?? entry.generation_id ?? entry.ref ?? ''}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </TableWrap>
          )}
        </Async>
        <div class="pager">
          <button type="button" class="secondary" disabled={cursors().length === 1} onClick={() => setCursors(cursors().slice(0, -1))}>
            Newer
          </button>
          <button
            type="button"
            class="secondary"
            disabled={(latestOf(journal)?.length ?? 0) <= PAGE_SIZE}
            onClick={() => setCursors([...cursors(), latestOf(journal)![PAGE_SIZE - 1]!.id])}
          >
            Older
          </button>
        </div>
      </Panel>
    </Page>
  )
}
