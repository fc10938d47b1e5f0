import type { CatalogModel } from '@agora/protocol/openai'
import { createResource, createSignal, For, Show } from 'solid-js'
import { Page, Panel, TableWrap } from '../components/page.tsx'
import { Async } from '../components/status.tsx'
import { useConsole } from '../context.tsx'
import { count, ms, perMillion } from '../format.ts'

/** A price range per million tokens: one figure when every provider asks the same. */
function priceRange(range: { min: string; max: string }): string {
  return range.min === range.max ? perMillion(range.min) : `${perMillion(range.min)} – ${perMillion(range.max)}`
}

/** The live catalog: what providers offer now, at what price, and how they perform. */
export function Models() {
  const { api } = useConsole()
  const [models, { refetch }] = createResource(() => api.models())
  return (
    <Page title="Models" intro="What live providers offer right now. Prices are USD per million tokens; latency is time to the first token as the router measured it.">
      <Panel title="Catalog" actions={<button type="button" class="secondary" onClick={() => void refetch()}>Refresh</button>}>
        <Async resource={models} retry={() => void refetch()} isEmpty={(list) => list.length === 0} emptyText="No provider is online. Models appear here as soon as a provider node announces an offer.">
          {(list) => (
            <TableWrap label="Catalog">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Model</th>
                    <th scope="col" class="num">Context</th>
                    <th scope="col" class="num">Input</th>
                    <th scope="col" class="num">Output</th>
                    <th scope="col" class="num">Providers</th>
                    <th scope="col">Quantizations</th>
                    <th scope="col">
                      <span class="sr-only">Providers of the model</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  <For each={list}>{(model) => <ModelRow model={model} />}</For>
                </tbody>
              </table>
            </TableWrap>
          )}
        </Async>
      </Panel>
    </Page>
  )
}

function ModelRow(props: { model: CatalogModel }) {
  const { api } = useConsole()
  const [open, setOpen] = createSignal(false)
  // Only models named `author/slug` have an endpoints list.
  const listable = () => props.model.id.includes('/')
  const [endpoints, { refetch }] = createResource(() => (open() ? props.model.id : false), (id) => api.endpoints(id))
  return (
    <>
      <tr>
        <th scope="row">{props.model.id}</th>
        <td class="num">{count(props.model.context_length)}</td>
        <td class="num">{priceRange(props.model.price_range.prompt)}</td>
        <td class="num">{priceRange(props.model.price_range.completion)}</td>
        <td class="num">{props.model.providers}</td>
        <td>{props.model.quantizations.join(', ') || '—'}</td>
        <td>
          <Show when={listable()}>
            <button type="button" class="secondary" aria-expanded={open()} aria-label={`${open() ? 'Hide providers' : 'Providers'} of ${props.model.id}`} onClick={() => setOpen(!open())}>
              {open() ? 'Hide providers' : 'Providers'}
            </button>
          </Show>
        </td>
      </tr>
      <Show when={open()}>
        <tr class="detail">
          <td colSpan={7}>
            <Async resource={endpoints} retry={() => void refetch()} isEmpty={(list) => list.length === 0} emptyText="No provider serves it right now.">
              {(list) => (
                <table class="inner" aria-label={`Providers of ${props.model.id}`}>
                  <thead>
                    <tr>
                      <th scope="col">Provider</th>
                      <th scope="col">Status</th>
                      <th scope="col" class="num">Input</th>
                      <th scope="col" class="num">Output</th>
                      <th scope="col" class="num">Latency</th>
                      <th scope="col" class="num">Throughput</th>
                      <th scope="col" class="num">Uptime (1 h)</th>
                      <th scope="col">Quantization</th>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={list}>
                      {(endpoint) => (
                        <tr>
                          <th scope="row" title={endpoint.peer_id}>
                            {endpoint.provider}
                          </th>
                          <td>
                            <span class={`badge ${endpoint.status}`}>{endpoint.status.replace('_', ' ')}</span>
                          </td>
                          <td class="num">{perMillion(endpoint.pricing.prompt)}</td>
                          <td class="num">{perMillion(endpoint.pricing.completion)}</td>
                          <td class="num">{ms(endpoint.latency_ms)}</td>
                          <td class="num">{endpoint.throughput_tps === null ? '—' : `${endpoint.throughput_tps.toFixed(1)} tok/s`}</td>
                          <td class="num">{endpoint.uptime_last_hour === null ? '—' : `${Math.round(endpoint.uptime_last_hour * 100)}%`}</td>
                          <td>{endpoint.quantization ?? '—'}</td>
                        </tr>
                      )}
                    </For>
                  </tbody>
                </table>
              )}
            </Async>
          </td>
        </tr>
      </Show>
    </>
  )
}
