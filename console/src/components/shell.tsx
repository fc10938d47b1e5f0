import { A } from '@solidjs/router'
import { For, Show, type ParentProps } from 'solid-js'
import { useConsole } from '../context.tsx'
import { shortAddress, usd } from '../format.ts'
import { latestOf } from './status.tsx'

/** The console's pages, in the order of the navigation. */
export const PAGES = [
  { href: '/', label: 'Overview', end: true },
  { href: '/keys', label: 'Keys' },
  { href: '/usage', label: 'Usage' },
  { href: '/models', label: 'Models' },
  { href: '/playground', label: 'Playground' },
  { href: '/credits', label: 'Credits' },
  { href: '/provider', label: 'Provider' },
  { href: '/settings', label: 'Settings' },
] as const

/** The frame of every signed-in page: header with the wallet and logout, navigation, low-balance warning. */
export function Shell(props: ParentProps) {
  const { address, account, settings, signOut } = useConsole()
  const lowBalance = () => {
    const threshold = latestOf(settings)?.low_balance_threshold_micro_usd
    const balance = latestOf(account)?.balance_micro_usd
    return threshold !== null && threshold !== undefined && balance !== undefined && BigInt(balance) < BigInt(threshold) ? { balance, threshold } : undefined
  }
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <A href="/" class="brand" end>
          Agora <span>console</span>
        </A>
        <div class="who">
          <span class="address" title={address()}>
            {shortAddress(address())}
          </span>
          <button type="button" class="secondary" onClick={() => void signOut()}>
            Log out
          </button>
        </div>
      </header>
      <nav class="pages" aria-label="Pages">
        <For each={PAGES}>
          {(page) => (
            <A href={page.href} end={'end' in page} activeClass="active">
              {page.label}
            </A>
          )}
        </For>
      </nav>
      <main id="main" tabindex="-1">
        <Show when={lowBalance()}>
          {(low) => (
            <p class="notice warning" role="status">
              Your balance is {usd(low().balance)}, below your warning threshold of {usd(low().threshold)}. <A href="/credits">Add credits</A> to keep your keys
              working.
            </p>
          )}
        </Show>
        {props.children}
      </main>
    </>
  )
}
