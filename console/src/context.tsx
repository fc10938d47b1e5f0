import { createContext, useContext, type Accessor, type ParentProps, type Resource } from 'solid-js'
import { createStore } from 'solid-js/store'
import type { RouterApi } from './api/client.ts'
import type { Account, Session, Settings } from './api/schemas.ts'

/** A key secret this tab created: secrets are shown once, so only these can be used in the playground. */
export interface KeySecret {
  id: string
  name: string
  secret: string
}

/** What every page of a signed-in console shares. */
export interface ConsoleContext {
  api: RouterApi
  session: Accessor<Session>
  /** The signed-in wallet's address, lower case. */
  address: Accessor<string>
  /** The account and its credits; `refreshAccount` after anything that moves the balance. */
  account: Resource<Account>
  refreshAccount(): void
  settings: Resource<Settings>
  refreshSettings(): void
  secrets: KeySecret[]
  rememberSecret(secret: KeySecret): void
  signOut(): Promise<void>
}

const Context = createContext<ConsoleContext>()

/** The signed-in console's shared state; throws outside a `ConsoleProvider`. */
export function useConsole(): ConsoleContext {
  const context = useContext(Context)
  if (!context) throw new Error('useConsole outside ConsoleProvider')
  return context
}

export function ConsoleProvider(props: ParentProps<{ value: Omit<ConsoleContext, 'secrets' | 'rememberSecret'> }>) {
  const [secrets, setSecrets] = createStore<KeySecret[]>([])
  const value: ConsoleContext = {
    ...props.value,
    secrets,
    rememberSecret: (secret) => setSecrets(secrets.length, secret),
  }
  return <Context.Provider value={value}>{props.children}</Context.Provider>
}
