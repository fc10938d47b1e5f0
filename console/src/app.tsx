import { Route, Router } from '@solidjs/router'
import { createResource, Match, Switch, type ParentProps } from 'solid-js'
import { withSessionGuard, type RouterApi } from './api/client.ts'
import { ApiError } from './api/errors.ts'
import type { Session } from './api/schemas.ts'
import { Shell } from './components/shell.tsx'
import { ErrorNotice, latestOf, Loading } from './components/status.tsx'
import { ConsoleProvider } from './context.tsx'
import { Credits } from './routes/credits.tsx'
import { Keys } from './routes/keys.tsx'
import { Models } from './routes/models.tsx'
import { NotFound } from './routes/not-found.tsx'
import { Overview } from './routes/overview.tsx'
import { Playground } from './routes/playground.tsx'
import { Provider } from './routes/provider.tsx'
import { SettingsPage } from './routes/settings.tsx'
import { SignIn } from './routes/sign-in.tsx'
import { Usage } from './routes/usage.tsx'

/** The console's routes under `/console` (the router serves the app there). */
export function App(props: { api: RouterApi; base?: string }) {
  return (
    <Router base={props.base ?? '/console'} root={(root) => <SignedIn api={props.api}>{root.children}</SignedIn>}>
      <Route path="/" component={Overview} />
      <Route path="/keys" component={Keys} />
      <Route path="/usage" component={Usage} />
      <Route path="/models" component={Models} />
      <Route path="/playground" component={Playground} />
      <Route path="/credits" component={Credits} />
      <Route path="/provider" component={Provider} />
      <Route path="/settings" component={SettingsPage} />
      <Route path="*" component={NotFound} />
    </Router>
  )
}

/** Shows the sign-in page until there is a session, then the shell around the page. */
function SignedIn(props: ParentProps<{ api: RouterApi }>) {
  const [session, { mutate, refetch }] = createResource(async (): Promise<Session | null> => {
    try {
      return await props.api.session()
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return null
      throw error
    }
  })
  const api = withSessionGuard(props.api, () => mutate(null))
  const address = () => latestOf(session)!.address
  const [account, { refetch: refreshAccount }] = createResource(() => latestOf(session)?.address, (address) => api.account(address))
  const [settings, { refetch: refreshSettings }] = createResource(() => latestOf(session)?.address, (address) => api.settings(address))

  const signOut = async () => {
    await api.logout().catch(() => {})
    mutate(null)
  }

  return (
    <Switch>
      <Match when={session.error}>
        <main id="main" class="sign-in">
          <ErrorNotice error={session.error} retry={() => void refetch()} />
        </main>
      </Match>
      <Match when={session.state === 'pending' || session.state === 'unresolved'}>
        <main id="main" class="sign-in">
          <Loading />
        </main>
      </Match>
      <Match when={latestOf(session) === null}>
        <SignIn api={api} onSignedIn={(signedIn) => mutate(signedIn)} />
      </Match>
      <Match when={latestOf(session)}>
        <ConsoleProvider
          value={{
            api,
            session: () => latestOf(session)!,
            address,
            account,
            refreshAccount: () => void refreshAccount(),
            settings,
            refreshSettings: () => void refreshSettings(),
            signOut,
          }}
        >
          <Shell>{props.children}</Shell>
        </ConsoleProvider>
      </Match>
    </Switch>
  )
}
