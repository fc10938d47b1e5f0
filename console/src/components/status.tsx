import { createSignal, Match, Show, Switch, type JSX, type Resource } from 'solid-js'
import { ApiError } from '../api/errors.ts'

/**
 * The resource's last value, or undefined while it has none or failed (reading `latest` of a
 * failed resource throws its error).
 */
export function latestOf<T>(resource: Resource<T>): T | undefined {
  return resource.error ? undefined : resource.latest
}

/**
 * A button's action: `busy` while it runs (to disable the button), and what it threw in
 * `failure` (for an `ErrorNotice`) until the next run; `run` itself never throws.
 * @example
 * const action = createAction()
 * <button disabled={action.busy()} onClick={() => void action.run(() => api.revokeKey(address(), id))}>Revoke</button>
 */
export function createAction() {
  const [busy, setBusy] = createSignal(false)
  const [failure, setFailure] = createSignal<unknown>()
  const run = async (action: () => Promise<unknown>): Promise<void> => {
    setBusy(true)
    setFailure(undefined)
    try {
      await action()
    } catch (error) {
      setFailure(error)
    } finally {
      setBusy(false)
    }
  }
  return { busy, failure, setFailure, run }
}

/** A polite "loading" line for screen readers and eyes. */
export function Loading(props: { label?: string }) {
  return (
    <p class="status" role="status" aria-live="polite">
      {props.label ?? 'Loading…'}
    </p>
  )
}

/** What went wrong, in words, with a way to try again. */
export function ErrorNotice(props: { error: unknown; retry?: () => void }) {
  const message = () => {
    const error = props.error
    if (error instanceof ApiError && error.code === 'invalid_session') return 'Your session has ended. Sign in again.'
    return error instanceof Error ? error.message : String(error)
  }
  return (
    <div class="notice error" role="alert">
      <span>{message()}</span>
      <Show when={props.retry}>
        {(retry) => (
          <button type="button" class="secondary" onClick={() => retry()()}>
            Try again
          </button>
        )}
      </Show>
    </div>
  )
}

/** Nothing to show yet, and what would change that. */
export function Empty(props: { children: JSX.Element }) {
  return <div class="empty">{props.children}</div>
}

export interface AsyncProps<T> {
  resource: Resource<T>
  retry?: () => void
  /** When the data counts as empty; `emptyText` is shown instead. */
  isEmpty?: (value: T) => boolean
  emptyText?: JSX.Element
  loadingText?: string
  children: (value: T) => JSX.Element
}

/**
 * A resource's three states: loading, error (with retry) and its content, or an empty
 * state when there is nothing. Keeps showing the last content while refreshing.
 */
export function Async<T>(props: AsyncProps<T>) {
  const value = () => props.resource.latest as T
  return (
    <Switch>
      <Match when={props.resource.error}>
        <ErrorNotice error={props.resource.error} {...(props.retry ? { retry: props.retry } : {})} />
      </Match>
      <Match when={props.resource.state === 'unresolved' || props.resource.state === 'pending'}>
        <Loading {...(props.loadingText ? { label: props.loadingText } : {})} />
      </Match>
      <Match when={props.isEmpty?.(value())}>
        <Empty>{props.emptyText}</Empty>
      </Match>
      <Match when={true}>{props.children(value())}</Match>
    </Switch>
  )
}
