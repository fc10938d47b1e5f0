import { A } from '@solidjs/router'
import { createEffect, createResource, createSignal, For, Show } from 'solid-js'
import type { ChatMessage, ChatStreamResult } from '../api/chat.ts'
import { Page, Panel } from '../components/page.tsx'
import { Async, ErrorNotice, latestOf } from '../components/status.tsx'
import { useConsole } from '../context.tsx'
import { count } from '../format.ts'

interface Turn extends ChatMessage {
  /** What the router said about an answer once it finished. */
  result?: Omit<ChatStreamResult, 'content'>
}

/** Chat with any model of the catalog through one of your keys, streamed, with provider, tokens and cost. */
export function Playground() {
  const { api, secrets, refreshAccount } = useConsole()
  const [models, { refetch }] = createResource(() => api.models())
  const [model, setModel] = createSignal('')
  const [keyChoice, setKeyChoice] = createSignal('')
  const [pasted, setPasted] = createSignal('')
  const [draft, setDraft] = createSignal('')
  const [turns, setTurns] = createSignal<Turn[]>([])
  const [streaming, setStreaming] = createSignal<AbortController>()
  const [failure, setFailure] = createSignal<unknown>()

  createEffect(() => {
    const first = latestOf(models)?.[0]?.id
    if (!model() && first) setModel(first)
  })
  createEffect(() => {
    if (!keyChoice() && secrets.length) setKeyChoice(secrets[secrets.length - 1]!.id)
  })
  const apiKey = () => (keyChoice() === 'paste' || !secrets.length ? pasted().trim() : (secrets.find((s) => s.id === keyChoice())?.secret ?? ''))

  const send = async (event: SubmitEvent) => {
    event.preventDefault()
    const text = draft().trim()
    if (!text || !apiKey() || !model() || streaming()) return
    const history: Turn[] = [...turns(), { role: 'user', content: text }]
    setTurns([...history, { role: 'assistant', content: '' }])
    setDraft('')
    setFailure(undefined)
    const controller = new AbortController()
    setStreaming(controller)
    const updateAnswer = (change: (answer: Turn) => Turn) => setTurns((all) => [...all.slice(0, -1), change(all.at(-1)!)])
    try {
      const { content: _content, ...result } = await api.chat({
        apiKey: apiKey(),
        model: model(),
        messages: history.map(({ role, content }) => ({ role, content })),
        signal: controller.signal,
        onDelta: (piece) => updateAnswer((answer) => ({ ...answer, content: answer.content + piece })),
      })
      updateAnswer((answer) => ({ ...answer, result }))
    } catch (error) {
      if (!controller.signal.aborted) setFailure(error)
      if (controller.signal.aborted) updateAnswer((answer) => ({ ...answer, content: `${answer.content} [stopped]` }))
    } finally {
      setStreaming(undefined)
      refreshAccount()
    }
  }

  return (
    <Page title="Playground" intro="Chat with a model through one of your keys. Each answer is a real, billed request.">
      <Async resource={models} retry={() => void refetch()} isEmpty={(list) => list.length === 0} emptyText="No provider is online, so there is no model to talk to yet.">
        {(list) => (
          <div class="playground">
            <div class="field-row">
              <div class="field">
                <label for="pg-model">Model</label>
                <select id="pg-model" value={model()} onChange={(e) => setModel(e.currentTarget.value)}>
                  <For each={list}>{(m) => <option value={m.id}>{m.id}</option>}</For>
                </select>
              </div>
              <div class="field">
                <label for="pg-key">Key</label>
                <Show
                  when={secrets.length}
                  fallback={
                    <input id="pg-key" type="password" autocomplete="off" placeholder="sk-agora-…" value={pasted()} onInput={(e) => setPasted(e.currentTarget.value)} aria-describedby="pg-key-hint" />
                  }
                >
                  <select id="pg-key" value={keyChoice()} onChange={(e) => setKeyChoice(e.currentTarget.value)}>
                    <For each={secrets}>{(s) => <option value={s.id}>{s.name}</option>}</For>
                    <option value="paste">Paste another key…</option>
                  </select>
                </Show>
              </div>
            </div>
            <Show when={secrets.length && keyChoice() === 'paste'}>
              <div class="field">
                <label for="pg-pasted">Key secret</label>
                <input id="pg-pasted" type="password" autocomplete="off" placeholder="sk-agora-…" value={pasted()} onInput={(e) => setPasted(e.currentTarget.value)} />
              </div>
            </Show>
            <p class="hint" id="pg-key-hint">
              Secrets are shown only once, so the playground can use the keys you <A href="/keys">create</A> in this tab, or one you paste. Pasted keys
              stay in this page only.
            </p>
            <Panel title="Conversation">
              <ol class="chat" aria-live="polite">
                <For each={turns()} fallback={<li class="empty">Ask something to start.</li>}>
                  {(turn) => (
                    <li class={`turn ${turn.role}`}>
                      <div class="who">{turn.role === 'user' ? 'You' : 'Model'}</div>
                      <div class="text">{turn.content || (streaming() ? '…' : '')}</div>
                      <Show when={turn.result}>
                        {(result) => (
                          <div class="meta" data-testid="answer-meta">
                            Served by <strong>{result().provider ?? 'unknown'}</strong>
                            <Show when={result().usage}>
                              {(usage) => (
                                <>
                                  {' '}· {count(usage().prompt_tokens)} + {count(usage().completion_tokens)} tokens · cost <strong>${usage().cost.toFixed(6)}</strong>
                                </>
                              )}
                            </Show>
                            <Show when={result().generationId}>{(id) => <> · <A href={`/usage`}>{id()}</A></>}</Show>
                          </div>
                        )}
                      </Show>
                    </li>
                  )}
                </For>
              </ol>
              <Show when={failure()}>{(error) => <ErrorNotice error={error()} />}</Show>
              <form class="compose" onSubmit={send}>
                <label for="pg-message" class="sr-only">
                  Message
                </label>
                <textarea
                  id="pg-message"
                  rows={3}
                  value={draft()}
                  placeholder="Write a message… (Ctrl+Enter sends)"
                  onInput={(e) => setDraft(e.currentTarget.value)}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) e.currentTarget.form?.requestSubmit()
                  }}
                />
                <div class="actions">
                  <Show
                    when={streaming()}
                    fallback={
                      <button type="submit" class="primary" disabled={!draft().trim() || !apiKey() || !model()}>
                        Send
                      </button>
                    }
                  >
                    {(controller) => (
                      <button type="button" class="danger" onClick={() => controller().abort()}>
                        Stop
                      </button>
                    )}
                  </Show>
                  <button type="button" class="secondary" disabled={!!streaming() || !turns().length} onClick={() => setTurns([])}>
                    Clear
                  </button>
                </div>
              </form>
            </Panel>
          </div>
        )}
      </Async>
    </Page>
  )
}
