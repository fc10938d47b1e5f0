import { createSignal, For, Show } from 'solid-js'
import type { ApiKey, KeyLimits, SpendReset } from '../api/schemas.ts'
import { parseUsd } from '../format.ts'
import { formatUsd } from '@agora/protocol/money'

export interface KeyFormProps {
  /** The key being edited; a new key when absent. */
  key?: ApiKey
  /** Model ids to suggest for the allowed-models list. */
  models: string[]
  submitLabel: string
  busy: boolean
  onSubmit: (body: KeyLimits & { name: string }) => void
  onCancel?: () => void
}

const RESETS: Array<[SpendReset, string]> = [
  ['never', 'Total (never resets)'],
  ['daily', 'Per day (UTC)'],
  ['weekly', 'Per week (from Monday, UTC)'],
  ['monthly', 'Per month (UTC)'],
]

/** The fields of a key: name, spend limit and its period, rate limits, allowed models and expiry. */
export function KeyForm(props: KeyFormProps) {
  const initial = props.key
  const [name, setName] = createSignal(initial?.name ?? '')
  const [limit, setLimit] = createSignal(initial?.spend_limit_micro_usd ? formatUsd(BigInt(initial.spend_limit_micro_usd)) : '')
  const [reset, setReset] = createSignal<SpendReset>(initial?.spend_reset ?? 'never')
  const [rpm, setRpm] = createSignal(initial?.rpm_limit?.toString() ?? '')
  const [tpm, setTpm] = createSignal(initial?.tpm_limit?.toString() ?? '')
  const [models, setModels] = createSignal(initial?.allowed_models?.join(', ') ?? '')
  const [expires, setExpires] = createSignal(initial?.expires_at?.slice(0, 10) ?? '')
  const [problem, setProblem] = createSignal<string>()
  const id = initial?.id ?? 'new'

  const positiveInt = (text: string, what: string): number | null => {
    if (!text.trim()) return null
    const n = Number(text)
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${what} must be a whole number above zero, or empty for no limit`)
    return n
  }

  const submit = (event: SubmitEvent) => {
    event.preventDefault()
    try {
      if (!name().trim()) throw new Error('Give the key a name')
      const spend = limit().trim() ? parseUsd(limit()) : null
      if (spend === undefined) throw new Error('The spend limit must be an amount in dollars, such as 5 or 12.50')
      const allowed = models()
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean)
      setProblem(undefined)
      props.onSubmit({
        name: name().trim(),
        spend_limit_micro_usd: spend === null ? null : spend.toString(),
        spend_reset: reset(),
        rpm_limit: positiveInt(rpm(), 'Requests per minute'),
        tpm_limit: positiveInt(tpm(), 'Tokens per minute'),
        allowed_models: allowed.length ? allowed : null,
        expires_at: expires() ? new Date(`${expires()}T23:59:59Z`).toISOString() : null,
      })
    } catch (error) {
      setProblem((error as Error).message)
    }
  }

  const addModel = (model: string) => {
    const current = models()
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean)
    if (!current.includes(model)) setModels([...current, model].join(', '))
  }

  return (
    <form class="form" onSubmit={submit} aria-label={initial ? `Edit ${initial.name}` : 'Create a key'}>
      <div class="field">
        <label for={`key-name-${id}`}>Name</label>
        <input id={`key-name-${id}`} value={name()} onInput={(e) => setName(e.currentTarget.value)} maxLength={100} required placeholder="laptop, ci, my-app…" />
      </div>
      <div class="field-row">
        <div class="field">
          <label for={`key-limit-${id}`}>Spend limit (USD)</label>
          <input id={`key-limit-${id}`} value={limit()} onInput={(e) => setLimit(e.currentTarget.value)} inputmode="decimal" placeholder="No limit" />
        </div>
        <div class="field">
          <label for={`key-reset-${id}`}>Limit period</label>
          <select id={`key-reset-${id}`} value={reset()} onChange={(e) => setReset(e.currentTarget.value as SpendReset)}>
            <For each={RESETS}>{([value, label]) => <option value={value}>{label}</option>}</For>
          </select>
        </div>
      </div>
      <div class="field-row">
        <div class="field">
          <label for={`key-rpm-${id}`}>Requests per minute</label>
          <input id={`key-rpm-${id}`} value={rpm()} onInput={(e) => setRpm(e.currentTarget.value)} inputmode="numeric" placeholder="No limit" />
        </div>
        <div class="field">
          <label for={`key-tpm-${id}`}>Tokens per minute</label>
          <input id={`key-tpm-${id}`} value={tpm()} onInput={(e) => setTpm(e.currentTarget.value)} inputmode="numeric" placeholder="No limit" />
        </div>
      </div>
      <div class="field">
        <label for={`key-models-${id}`}>Allowed models</label>
        <input id={`key-models-${id}`} value={models()} onInput={(e) => setModels(e.currentTarget.value)} placeholder="All models" aria-describedby={`key-models-hint-${id}`} />
        <div class="hint" id={`key-models-hint-${id}`}>
          Comma-separated model ids; empty allows every model.
          <Show when={props.models.length}>
            {' '}Add:{' '}
            <For each={props.models}>
              {(model) => (
                <button type="button" class="chip" onClick={() => addModel(model)}>
                  {model}
                </button>
              )}
            </For>
          </Show>
        </div>
      </div>
      <div class="field">
        <label for={`key-expires-${id}`}>Expires after (UTC day)</label>
        <input id={`key-expires-${id}`} type="date" value={expires()} onInput={(e) => setExpires(e.currentTarget.value)} />
      </div>
      <Show when={problem()}>
        {(text) => (
          <div class="notice error" role="alert">
            {text()}
          </div>
        )}
      </Show>
      <div class="actions">
        <button type="submit" class="primary" disabled={props.busy}>
          {props.busy ? 'Saving…' : props.submitLabel}
        </button>
        <Show when={props.onCancel}>
          {(cancel) => (
            <button type="button" class="secondary" onClick={() => cancel()()}>
              Cancel
            </button>
          )}
        </Show>
      </div>
    </form>
  )
}

/** A spend limit as the key list shows it. */
export function spendLimitLabel(key: Pick<ApiKey, 'spend_limit_micro_usd' | 'spend_reset'>, usd: (micro: string) => string): string {
  if (key.spend_limit_micro_usd === null) return 'No limit'
  const period = { never: 'total', daily: '/ day', weekly: '/ week', monthly: '/ month' }[key.spend_reset]
  return `${usd(key.spend_limit_micro_usd)} ${period}`
}

