import { useSearchParams } from '@solidjs/router'
import { createResource, For, Show } from 'solid-js'
import type { Generation, UsageFilters } from '../api/schemas.ts'
import { Breakdown } from '../components/breakdown.tsx'
import { Page, Panel, TableWrap } from '../components/page.tsx'
import { Async, latestOf } from '../components/status.tsx'
import { useConsole } from '../context.tsx'
import { count, dateTime, ms, usd, utcDay } from '../format.ts'

/** Generations per page of the table. */
export const PAGE_SIZE = 25

/** The router's filters from the page's: `to` is inclusive on the page and exclusive in the API. */
export function apiFilters(params: { key?: string; model?: string; from?: string; to?: string }): UsageFilters {
  return {
    ...(params.key ? { key_id: params.key } : {}),
    ...(params.model ? { model: params.model } : {}),
    ...(params.from ? { from: params.from } : {}),
    ...(params.to ? { to: utcDay(new Date(`${params.to}T00:00:00Z`), 1) } : {}),
  }
}

/**
 * Where a generation's settlement proof is once a settlement batch took it: the leaf, the
 * signed receipt and the Merkle proof to the root the escrow stored on chain.
 */
export function proofUrl(address: string, generation: Pick<Generation, 'id' | 'settlement_batch_id'>): string | undefined {
  if (generation.settlement_batch_id === null) return undefined
  return `/api/accounts/${address}/settlements/${generation.settlement_batch_id}/proof?generation=${encodeURIComponent(generation.id)}`
}

/** Every request with its cost, filtered and paged; totals per model and per key; CSV export. */
export function Usage() {
  const { api, address } = useConsole()
  const [params, setParams] = useSearchParams<{ key?: string; model?: string; from?: string; to?: string; page?: string }>()
  const page = () => Math.max(0, Number(params.page ?? 0) || 0)
  const filters = () => apiFilters(params)
  const [keys] = createResource(address, (a) => api.keys(a))
  const [allModels] = createResource(address, (a) => api.usage(a, 'model'))
  const [generations, { refetch }] = createResource(
    () => ({ address: address(), filters: filters(), page: page() }),
    ({ address, filters, page }) => api.generations(address, { ...filters, limit: PAGE_SIZE + 1, offset: page * PAGE_SIZE }),
  )
  const [byModel] = createResource(() => ({ address: address(), filters: filters() }), ({ address, filters }) => api.usage(address, 'model', filters))
  const [byKey] = createResource(() => ({ address: address(), filters: filters() }), ({ address, filters }) => api.usage(address, 'key', filters))
  const keyName = (id: string) => latestOf(keys)?.find((k) => k.id === id)?.name ?? id.slice(0, 8)
  const setFilter = (name: 'key' | 'model' | 'from' | 'to', value: string) => setParams({ [name]: value || undefined, page: undefined })

  return (
    <Page
      title="Usage"
      intro="Every request your keys made, what it cost and who served it. Dates are UTC."
      actions={
        <a class="button secondary" href={api.usageCsvUrl(address(), filters())} download="usage.csv">
          Export CSV
        </a>
      }
    >
      <form class="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="filter-key">Key</label>
          <select id="filter-key" value={params.key ?? ''} onChange={(e) => setFilter('key', e.currentTarget.value)}>
            <option value="">All keys</option>
            <For each={latestOf(keys) ?? []}>{(key) => <option value={key.id}>{key.name}</option>}</For>
          </select>
        </div>
        <div class="field">
          <label for="filter-model">Model</label>
          <select id="filter-model" value={params.model ?? ''} onChange={(e) => setFilter('model', e.currentTarget.value)}>
            <option value="">All models</option>
            <For each={latestOf(allModels) ?? []}>{(row) => <option value={row.model}>{row.model}</option>}</For>
          </select>
        </div>
        <div class="field">
          <label for="filter-from">From</label>
          <input id="filter-from" type="date" value={params.from ?? ''} onChange={(e) => setFilter('from', e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="filter-to">To (inclusive)</label>
          <input id="filter-to" type="date" value={params.to ?? ''} onChange={(e) => setFilter('to', e.currentTarget.value)} />
        </div>
      </form>
      <Panel title="Requests">
        <Async resource={generations} retry={() => void refetch()} isEmpty={(rows) => rows.length === 0 && page() === 0} emptyText="No requests match these filters.">
          {(rows) => <GenerationTable rows={rows.slice(0, PAGE_SIZE)} keyName={keyName} address={address()} />}
        </Async>
        <div class="pager">
          <button type="button" class="secondary" disabled={page() === 0} onClick={() => setParams({ page: page() > 1 ? String(page() - 1) : undefined })}>
            Newer
          </button>
          <span aria-live="polite">Page {page() + 1}</span>
          <button type="button" class="secondary" disabled={(latestOf(generations)?.length ?? 0) <= PAGE_SIZE} onClick={() => setParams({ page: String(page() + 1) })}>
            Older
          </button>
        </div>
      </Panel>
      <div class="columns">
        <Panel title="By model">
          <Async resource={byModel} isEmpty={(rows) => rows.length === 0} emptyText="Nothing in this range.">
            {(rows) => <Breakdown rows={rows} label={(row) => row.model ?? ''} heading="Model" />}
          </Async>
        </Panel>
        <Panel title="By key">
          <Async resource={byKey} isEmpty={(rows) => rows.length === 0} emptyText="Nothing in this range.">
            {(rows) => <Breakdown rows={rows} label={(row) => row.name ?? keyName(row.key ?? '')} heading="Key" />}
          </Async>
        </Panel>
      </div>
    </Page>
  )
}

/** The generations of a page; a settlement column appears once any of them has been settled. */
export function GenerationTable(props: { rows: Generation[]; keyName: (id: string) => string; address: string }) {
  const settled = () => props.rows.some((g) => g.settlement_batch_id !== null)
  return (
    <TableWrap label="Requests">
      <table>
        <thead>
          <tr>
            <th scope="col">Time (UTC)</th>
            <th scope="col">Model</th>
            <th scope="col">Key</th>
            <th scope="col">Provider</th>
            <th scope="col">Status</th>
            <th scope="col" class="num">Tokens in / out</th>
            <th scope="col" class="num">Cost</th>
            <th scope="col" class="num">First token</th>
            <th scope="col" class="num">Duration</th>
            <Show when={settled()}>
              <th scope="col">Settlement</th>
            </Show>
          </tr>
        </thead>
        <tbody>
          <For each={props.rows}>
            {(g) => (
              <tr data-generation={g.id}>
                <td>
                  <time datetime={g.created_at}>{dateTime(g.created_at)}</time>
                </td>
                <th scope="row">{g.model}</th>
                <td>{props.keyName(g.key_id)}</td>
                <td>
                  <code title={g.provider}>{g.provider.slice(-8)}</code>
                </td>
                <td>
                  <span class={`badge ${g.status}`}>{g.status}</span>
                </td>
                <td class="num">
                  {count(g.prompt_tokens)} / {count(g.completion_tokens)}
                </td>
                <td class="num">{usd(g.cost_micro_usd)}</td>
                <td class="num">{ms(g.time_to_first_token_ms)}</td>
                <td class="num">{ms(g.duration_ms)}</td>
                <Show when={settled()}>
                  <td>
                    <Show when={proofUrl(props.address, g)} fallback="Pending">
                      {(url) => <a href={url()}>Batch {String(g.settlement_batch_id)} proof</a>}
                    </Show>
                  </td>
                </Show>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </TableWrap>
  )
}
