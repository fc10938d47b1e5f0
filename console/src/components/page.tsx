import type { JSX, ParentProps } from 'solid-js'

/** A page's heading and what it is for. */
export function Page(props: ParentProps<{ title: string; intro?: JSX.Element; actions?: JSX.Element }>) {
  return (
    <section class="page" aria-labelledby="page-title">
      <div class="page-head">
        <div>
          <h1 id="page-title">{props.title}</h1>
          {props.intro && <p class="intro">{props.intro}</p>}
        </div>
        {props.actions}
      </div>
      {props.children}
    </section>
  )
}

/** A titled block of a page. */
export function Panel(props: ParentProps<{ title: string; actions?: JSX.Element; id?: string }>) {
  return (
    <section class="panel" id={props.id}>
      <div class="panel-head">
        <h2>{props.title}</h2>
        {props.actions}
      </div>
      {props.children}
    </section>
  )
}

/** A figure with its label, e.g. a balance. */
export function Stat(props: { label: string; value: JSX.Element; hint?: JSX.Element }) {
  return (
    <div class="stat">
      <div class="stat-label">{props.label}</div>
      <div class="stat-value">{props.value}</div>
      {props.hint && <div class="stat-hint">{props.hint}</div>}
    </div>
  )
}

/** A table that scrolls sideways on narrow screens instead of overflowing the page. */
export function TableWrap(props: ParentProps<{ label: string }>) {
  return (
    <div class="table-wrap" role="region" aria-label={props.label} tabindex="0">
      {props.children}
    </div>
  )
}
