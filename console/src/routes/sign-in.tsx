import { Show } from 'solid-js'
import type { RouterApi } from '../api/client.ts'
import type { Session } from '../api/schemas.ts'
import { createAction, ErrorNotice } from '../components/status.tsx'
import { injectedWallet, signInWithEthereum } from '../wallet/ethereum.ts'

/** Sign in with an Ethereum wallet: the only page a visitor without a session sees. */
export function SignIn(props: { api: RouterApi; onSignedIn: (session: Session) => void }) {
  const { busy, failure, run } = createAction()
  const wallet = injectedWallet()

  const signIn = async () => {
    if (!wallet) return
    await run(async () => props.onSignedIn(await signInWithEthereum({ api: props.api, wallet, location: window.location })))
  }

  return (
    <main id="main" class="sign-in">
      <h1>
        Agora <span>console</span>
      </h1>
      <p>
        Keys, credits, usage and settings of your account on this Agora router. Your wallet is your account: sign a message to prove it is
        yours. Signing costs nothing and sends no transaction.
      </p>
      <Show
        when={wallet}
        fallback={
          <div class="notice warning" role="alert">
            This browser has no Ethereum wallet (<code>window.ethereum</code>). Install one, such as MetaMask or Rabby, then reload this page.
          </div>
        }
      >
        <button type="button" class="primary large" onClick={signIn} disabled={busy()} aria-busy={busy()}>
          {busy() ? 'Waiting for your wallet…' : 'Connect wallet and sign in'}
        </button>
      </Show>
      <Show when={failure()}>{(error) => <ErrorNotice error={error()} />}</Show>
    </main>
  )
}
