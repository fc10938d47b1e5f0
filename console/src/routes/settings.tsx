import { formatUsd } from '@agora/protocol/money'
import { createResource, createSignal, For, Show } from 'solid-js'
import { ApiError } from '../api/errors.ts'
import type { ProviderSort, Settings, SettingsInput } from '../api/schemas.ts'
import { Page, Panel } from '../components/page.tsx'
import { Async, ErrorNotice, latestOf } from '../components/status.tsx'
import { useConsole } from '../context.tsx'
import { dateTime, parseUsd } from '../format.ts'

const list = (text: string) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)

const SORTS: Array<[ProviderSort | '', string]> = [
  ['', 'Balanced (price, speed, reliability and load)'],
  ['price', 'Cheapest first'],
  ['throughput', 'Fastest output first'],
  ['latency', 'Quickest first token first'],
]

/** Account-wide defaults the router applies to every request that does not set them itself. */
export function SettingsPage() {
  const { settings, refreshSettings } = useConsole()
  return (
    <Page
      title="Settings"
      intro="Defaults for every request of every key of this account. A request that sets a field of its own provider preferences overrides that field."
    >
      <Async resource={settings} retry={refreshSettings}>
        {(current) => <SettingsForm current={current} />}
      </Async>
    </Page>
  )
}

function SettingsForm(props: { current: Settings }) {
  const { api, address, refreshSettings } = useConsole()
  const [catalog] = createResource(() => api.models().catch(() => []))
  const c = props.current
  const [sort, setSort] = createSignal<ProviderSort | ''>(c.provider.sort ?? '')
  const [maxPrompt, setMaxPrompt] = createSignal(c.provider.max_price.prompt ?? '')
  const [maxCompletion, setMaxCompletion] = createSignal(c.provider.max_price.completion ?? '')
  const [ignore, setIgnore] = createSignal(c.provider.ignore.join(', '))
  const [quantizations, setQuantizations] = createSignal(c.provider.quantizations?.join(', ') ?? '')
  const [fallbacks, setFallbacks] = createSignal(c.provider.allow_fallbacks)
  const [models, setModels] = createSignal(c.allowed_models?.join(', ') ?? '')
  const [threshold, setThreshold] = createSignal(c.low_balance_threshold_micro_usd === null ? '' : formatUsd(BigInt(c.low_balance_threshold_micro_usd)))
  const [saving, setSaving] = createSignal(false)
  const [savedAt, setSavedAt] = createSignal(c.updated_at)
  const [failure, setFailure] = createSignal<unknown>()

  const price = (text: string, what: string): string | null => {
    if (!text.trim()) return null
    if (!/^\d+(\.\d+)?$/.test(text.trim())) throw new Error(`${what} must be an amount of USD per million tokens, such as 0.5`)
    return text.trim()
  }

  const save = async (event: SubmitEvent) => {
    event.preventDefault()
    setFailure(undefined)
    let body: SettingsInput
    try {
      const low = threshold().trim() ? parseUsd(threshold()) : null
      if (low === undefined) throw new Error('The warning threshold must be an amount in dollars, such as 5')
      const allowed = list(models())
      body = {
        provider: {
          sort: sort() || null,
          max_price: { prompt: price(maxPrompt(), 'The maximum input price'), completion: price(maxCompletion(), 'The maximum output price') },
          ignore: list(ignore()),
          quantizations: list(quantizations()).length ? list(quantizations()) : null,
          allow_fallbacks: fallbacks(),
        },
        allowed_models: allowed.length ? allowed : null,
        low_balance_threshold_micro_usd: low === null ? null : low.toString(),
      }
    } catch (error) {
      setFailure(error)
      return
    }
    setSaving(true)
    try {
      const saved = await api.saveSettings(address(), body)
      setSavedAt(saved.updated_at)
      refreshSettings()
    } catch (error) {
      setFailure(error instanceof ApiError && error.param ? new Error(`${error.message} (${error.param})`) : error)
    } finally {
      setSaving(false)
    }
  }

  return (
    <form class="form settings" onSubmit={save} aria-label="Account settings">
      <Panel title="Routing">
        <div class="field">
          <label for="set-sort">Provider order</label>
          <select id="set-sort" value={sort()} onChange={(e) => setSort(e.currentTarget.value as ProviderSort | '')}>
            <For each={SORTS}>{([value, label]) => <option value={value}>{label}</option>}</For>
          </select>
        </div>
        <div class="field-row">
          <div class="field">
            <label for="set-max-prompt">Maximum input price (USD / M tokens)</label>
            <input id="set-max-prompt" inputmode="decimal" placeholder="No maximum" value={maxPrompt()} onInput={(e) => setMaxPrompt(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="set-max-completion">Maximum output price (USD / M tokens)</label>
            <input id="set-max-completion" inputmode="decimal" placeholder="No maximum" value={maxCompletion()} onInput={(e) => setMaxCompletion(e.currentTarget.value)} />
          </div>
        </div>
        <div class="field">
          <label for="set-ignore">Ignored providers</label>
          <input id="set-ignore" placeholder="None" value={ignore()} onInput={(e) => setIgnore(e.currentTarget.value)} aria-describedby="set-ignore-hint" />
          <div class="hint" id="set-ignore-hint">
            Comma-separated provider names or peer ids.
          </div>
        </div>
        <div class="field">
          <label for="set-quant">Allowed quantizations</label>
          <input id="set-quant" placeholder="Any" value={quantizations()} onInput={(e) => setQuantizations(e.currentTarget.value)} aria-describedby="set-quant-hint" />
          <div class="hint" id="set-quant-hint">
            Comma-separated, e.g. <code>fp16, q8_0</code>; <code>unknown</code> matches providers that declare none.
          </div>
        </div>
        <div class="field check">
          <input id="set-fallbacks" type="checkbox" checked={fallbacks()} onChange={(e) => setFallbacks(e.currentTarget.checked)} />
          <label for="set-fallbacks">Fall back to other providers when the first choice fails</label>
        </div>
      </Panel>
      <Panel title="Models">
        <div class="field">
          <label for="set-models">Models the account may use</label>
          <input id="set-models" placeholder="All models" value={models()} onInput={(e) => setModels(e.currentTarget.value)} aria-describedby="set-models-hint" />
          <div class="hint" id="set-models-hint">
            Comma-separated model ids; empty allows every model. Binds every key, whatever the key allows.
            <Show when={latestOf(catalog)?.length}>
              {' '}Add:{' '}
              <For each={latestOf(catalog)}>
                {(model) => (
                  <button type="button" class="chip" onClick={() => !list(models()).includes(model.id) && setModels([...list(models()), model.id].join(', '))}>
                    {model.id}
                  </button>
                )}
              </For>
            </Show>
          </div>
        </div>
      </Panel>
      <Panel title="Balance warning">
        <div class="field">
          <label for="set-threshold">Warn when the balance is below (USD)</label>
          <input id="set-threshold" inputmode="decimal" placeholder="No warning" value={threshold()} onInput={(e) => setThreshold(e.currentTarget.value)} />
        </div>
      </Panel>
      <Show when={failure()}>{(error) => <ErrorNotice error={error()} />}</Show>
      <div class="actions">
        <button type="submit" class="primary" disabled={saving()}>
          {saving() ? 'Saving…' : 'Save settings'}
        </button>
        <span class="status" role="status" aria-live="polite">
          {savedAt() ? `Saved ${dateTime(savedAt()!)} UTC` : 'Not saved yet: no defaults apply.'}
        </span>
      </div>
    </form>
  )
}
