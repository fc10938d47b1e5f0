import { createResource, For, Show } from 'solid-js'
import { createEscrow, PayoutEarnings } from '../components/escrow.tsx'
import { Page, Panel, TableWrap } from '../components/page.tsx'
import { Async, latestOf } from '../components/status.tsx'
import { useConsole } from '../context.tsx'
import { count, dateTime, ms, perMillion, shortAddress, usd } from '../format.ts'

/** For a wallet that is the payout address of provider nodes: those nodes, what they offer and what they served. */
export function Provider() {
  const { api, address } = useConsole()
  const [nodes, { refetch }] = createResource(address, (a) => api.nodes(a))
  const escrow = createEscrow(api, address)
  return (
    <Page
      title="Provider"
      intro={<>Provider nodes whose signed offers name your wallet ({shortAddress(address())}) as their payout address.</>}
      actions={
        <button type="button" class="secondary" onClick={() => void refetch()}>
          Refresh
        </button>
      }
    >
      <Show when={latestOf(escrow.info)}>
        <PayoutEarnings escrow={escrow} />
      </Show>
      <Async
        resource={nodes}
        retry={() => void refetch()}
        isEmpty={(list) => list.length === 0}
        emptyText={
          <>
            No live node pays out to this wallet. Run a provider node with this address as its payout address (see <code>docs/provider.md</code>), and it
            appears here once the router has its offer.
          </>
        }
      >
        {(list) => (
          <For each={list}>
            {(node) => (
              <Panel title={node.name} actions={<span class={`badge ${node.online ? 'active' : 'expired'}`}>{node.online ? 'online' : 'unreachable'}</span>}>
                <dl class="facts">
                  <div class="wide">
                    <dt>Peer id</dt>
                    <dd>
                      <code>{node.peer_id}</code>
                    </dd>
                  </div>
                  <div>
                    <dt>Offer valid until</dt>
                    <dd>{dateTime(node.offer_expires_at)} UTC</dd>
                  </div>
                  <div>
                    <dt>Requests served</dt>
                    <dd>{count(node.served.requests)}</dd>
                  </div>
                  <div>
                    <dt>Tokens in / out</dt>
                    <dd>
                      {count(node.served.prompt_tokens)} / {count(node.served.completion_tokens)}
                    </dd>
                  </div>
                  <div>
                    <dt>Charged to users</dt>
                    <dd>{usd(node.served.charged_micro_usd)}</dd>
                  </div>
                </dl>
                <Show when={node.models.length} fallback={<p>This node offers no model.</p>}>
                  <TableWrap label={`Models of ${node.name}`}>
                    <table>
                      <thead>
                        <tr>
                          <th scope="col">Model</th>
                          <th scope="col">Status</th>
                          <th scope="col" class="num">Input</th>
                          <th scope="col" class="num">Output</th>
                          <th scope="col" class="num">Context</th>
                          <th scope="col" class="num">Latency</th>
                          <th scope="col" class="num">Throughput</th>
                        </tr>
                      </thead>
                      <tbody>
                        <For each={node.models}>
                          {(model) => (
                            <tr>
                              <th scope="row">{model.id}</th>
                              <td>
                                <span class={`badge ${model.status}`}>{model.status.replace('_', ' ')}</span>
                              </td>
                              <td class="num">{perMillion(model.pricing.prompt)}</td>
                              <td class="num">{perMillion(model.pricing.completion)}</td>
                              <td class="num">{count(model.context_length)}</td>
                              <td class="num">{ms(model.latency_ms)}</td>
                              <td class="num">{model.throughput_tps === null ? '—' : `${model.throughput_tps.toFixed(1)} tok/s`}</td>
                            </tr>
                          )}
                        </For>
                      </tbody>
                    </table>
                  </TableWrap>
                </Show>
              </Panel>
            )}
          </For>
        )}
      </Async>
    </Page>
  )
}
