import { A } from '@solidjs/router'
import { createResource, createSignal, For, Show } from 'solid-js'
import type { ApiKey, CreatedKey, KeyLimits } from '../api/schemas.ts'
import { CopyButton } from '../components/copy-button.tsx'
import { KeyForm, spendLimitLabel } from '../components/key-form.tsx'
import { Page, Panel, TableWrap } from '../components/page.tsx'
import { Async, createAction, ErrorNotice, latestOf } from '../components/status.tsx'
import { useConsole } from '../context.tsx'
import { count, usd } from '../format.ts'

/** Whether a key works now. */
export function keyStatus(key: Pick<ApiKey, 'revoked_at' | 'expires_at'>, now = new Date()): 'active' | 'revoked' | 'expired' {
  if (key.revoked_at) return 'revoked'
  if (key.expires_at && Date.parse(key.expires_at) <= now.getTime()) return 'expired'
  return 'active'
}

/** Create keys (the secret is shown once), see what each spent, change their limits, revoke them. */
export function Keys() {
  const { api, address, rememberSecret } = useConsole()
  const [keys, { refetch: refetchKeys, mutate: setKeys }] = createResource(address, (a) => api.keys(a))
  const [usage] = createResource(address, (a) => api.usage(a, 'key'))
  const [catalog] = createResource(() => api.models().catch(() => []))
  const [creating, setCreating] = createSignal(false)
  const [created, setCreated] = createSignal<CreatedKey>()
  const [editing, setEditing] = createSignal<string>()
  const [confirming, setConfirming] = createSignal<string>()
  const { busy, failure, run } = createAction()

  const spentBy = (id: string) => latestOf(usage)?.find((row) => row.key === id)
  const modelIds = () => (latestOf(catalog) ?? []).map((m) => m.id)

  const create = (body: KeyLimits & { name: string }) =>
    run(async () => {
      const key = await api.createKey(address(), body)
      rememberSecret({ id: key.id, name: key.name, secret: key.secret })
      setCreated(key)
      setCreating(false)
      setKeys((list) => [...(list ?? []), key])
    })

  const update = (id: string, body: KeyLimits) =>
    run(async () => {
      const key = await api.updateKey(address(), id, body)
      setKeys((list) => list?.map((k) => (k.id === id ? key : k)))
      setEditing(undefined)
    })

  const revoke = (id: string) =>
    run(async () => {
      const key = await api.revokeKey(address(), id)
      setKeys((list) => list?.map((k) => (k.id === id ? key : k)))
      setConfirming(undefined)
    })

  return (
    <Page
      title="API keys"
      intro="Keys call the OpenAI-compatible API at /v1. Each can have its own spend limit, rate limits, models and expiry."
      actions={
        <Show when={!creating()}>
          <button type="button" class="primary" onClick={() => (setCreating(true), setCreated(undefined))}>
            Create a key
          </button>
        </Show>
      }
    >
      <Show when={created()}>
        {(key) => (
          <div class="notice success secret" role="status">
            <h2>Key “{key().name}” created</h2>
            <p>
              Copy its secret now: <strong>it is not shown again</strong>. The router keeps only a hash of it.
            </p>
            <div class="secret-row">
              <code data-testid="new-secret">{key().secret}</code>
              <CopyButton text={key().secret} label="Copy secret" />
            </div>
            <div class="actions">
              <A href="/playground" class="button secondary">
                Try it in the playground
              </A>
              <button type="button" class="secondary" onClick={() => setCreated(undefined)}>
                I have saved it
              </button>
            </div>
          </div>
        )}
      </Show>
      <Show when={creating()}>
        <Panel title="New key">
          <KeyForm models={modelIds()} submitLabel="Create key" busy={busy()} onSubmit={create} onCancel={() => setCreating(false)} />
        </Panel>
      </Show>
      <Show when={failure()}>{(error) => <ErrorNotice error={error()} />}</Show>
      <Panel title="Your keys">
        <Async resource={keys} retry={() => void refetchKeys()} isEmpty={(list) => list.length === 0} emptyText="No keys yet. Create one to call the API.">
          {(list) => (
            <TableWrap label="Your keys">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Key</th>
                    <th scope="col">Status</th>
                    <th scope="col">Spend limit</th>
                    <th scope="col" class="num">Spent</th>
                    <th scope="col" class="num">Requests</th>
                    <th scope="col">Rate limits</th>
                    <th scope="col">Models</th>
                    <th scope="col">Expires</th>
                    <th scope="col">
                      <span class="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  <For each={[...list].reverse()}>
                    {(key) => {
                      const status = () => keyStatus(key)
                      return (
                        <>
                          <tr classList={{ inactive: status() !== 'active' }}>
                            <th scope="row">{key.name}</th>
                            <td>
                              <code>{key.prefix}…</code>
                            </td>
                            <td>
                              <span class={`badge ${status()}`}>{status()}</span>
                            </td>
                            <td>{spendLimitLabel(key, usd)}</td>
                            <td class="num">{usd(spentBy(key.id)?.cost_micro_usd ?? '0')}</td>
                            <td class="num">{count(spentBy(key.id)?.requests ?? 0)}</td>
                            <td>
                              {key.rpm_limit ? `${count(key.rpm_limit)} rpm` : '—'} · {key.tpm_limit ? `${count(key.tpm_limit)} tpm` : '—'}
                            </td>
                            <td>{key.allowed_models?.join(', ') ?? 'All'}</td>
                            <td>{key.expires_at?.slice(0, 10) ?? 'Never'}</td>
                            <td>
                              <Show when={status() !== 'revoked'}>
                                <div class="row-actions">
                                  <button type="button" class="secondary" onClick={() => setEditing(editing() === key.id ? undefined : key.id)} aria-expanded={editing() === key.id} aria-label={`Edit ${key.name}`}>
                                    Edit
                                  </button>
                                  <Show
                                    when={confirming() === key.id}
                                    fallback={
                                      <button type="button" class="danger" onClick={() => setConfirming(key.id)} aria-label={`Revoke ${key.name}`}>
                                        Revoke
                                      </button>
                                    }
                                  >
                                    <button type="button" class="danger" onClick={() => void revoke(key.id)} disabled={busy()}>
                                      Confirm revoke
                                    </button>
                                    <button type="button" class="secondary" onClick={() => setConfirming(undefined)}>
                                      Keep
                                    </button>
                                  </Show>
                                </div>
                              </Show>
                            </td>
                          </tr>
                          <Show when={editing() === key.id}>
                            <tr class="editing">
                              <td colSpan={10}>
                                <KeyForm key={key} models={modelIds()} submitLabel="Save changes" busy={busy()} onSubmit={(body) => void update(key.id, body)} onCancel={() => setEditing(undefined)} />
                              </td>
                            </tr>
                          </Show>
                        </>
                      )
                    }}
                  </For>
                </tbody>
              </table>
            </TableWrap>
          )}
        </Async>
      </Panel>
    </Page>
  )
}
