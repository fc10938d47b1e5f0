import { createResource, createSignal, For, onCleanup, Show, type JSX } from 'solid-js'
import type { Address } from 'viem'
import type { RouterApi } from '../api/client.ts'
import { cancelWithdrawal, claim, deposit, escrowClients, readEscrow, requestWithdrawal, thawLeft, withdraw, type EscrowClients, type TransactionStep } from '../chain/escrow.ts'
import { useConsole } from '../context.tsx'
import { parseUsd, usd } from '../format.ts'
import { injectedWallet } from '../wallet/ethereum.ts'
import { Panel, Stat } from './page.tsx'
import { Async, createAction, ErrorNotice, latestOf } from './status.tsx'

/** How often the console looks for the router's credit of a mined deposit, and for how long. */
const CREDIT_POLL_MS = 1_000
const CREDIT_WAIT_MS = 10 * 60_000

/**
 * The escrow as the signed-in wallet sees it: where it is (from the router), clients over
 * the browser wallet, and its state on chain. `info` is null when the router has no escrow.
 */
export function createEscrow(api: RouterApi, address: () => string) {
  const [info] = createResource(() => api.chain())
  const [clients] = createResource(
    () => latestOf(info) ?? undefined,
    async (escrow) => {
      const wallet = injectedWallet()
      if (!wallet) throw new Error('This browser has no Ethereum wallet (window.ethereum) to reach the escrow with.')
      return escrowClients(wallet, escrow, address() as Address)
    },
  )
  const seconds = () => BigInt(Math.floor(Date.now() / 1000))
  // The chain's clock, read with the state and ticking locally between reads, for the thaw countdown.
  const [readAt, setReadAt] = createSignal(seconds())
  const [now, setNow] = createSignal(seconds())
  const timer = setInterval(() => setNow(seconds()), 1_000)
  onCleanup(() => clearInterval(timer))
  const [state, { refetch }] = createResource(
    () => latestOf(clients),
    async (c) => {
      const read = await readEscrow(c)
      setReadAt(seconds())
      return read
    },
  )
  const chainNow = () => {
    const read = latestOf(state)
    return read ? read.chainTime + (now() - readAt()) : now()
  }
  const refresh = async () => void (await refetch())
  return { info, clients, state, refresh, chainNow }
}

type Escrow = ReturnType<typeof createEscrow>

/** What a transaction is doing, step by step. */
function Progress(props: { steps: Array<{ label: JSX.Element; done: boolean }> }) {
  return (
    <ol class="progress" aria-live="polite">
      <For each={props.steps}>{(step) => <li classList={{ done: step.done }}>{step.label}</li>}</For>
    </ol>
  )
}

const short = (hash: string) => `${hash.slice(0, 10)}…`

/**
 * Deposits and withdrawals through the wallet: a permit deposit followed from signature to
 * credit, and a withdrawal request with its thaw countdown, then the withdrawal.
 */
export function WalletEscrow(props: { escrow: Escrow; onCredited: () => void }) {
  const { api, address } = useConsole()
  const { info, clients, state, refresh, chainNow } = props.escrow
  const [amount, setAmount] = createSignal('')
  const [withdrawAmount, setWithdrawAmount] = createSignal('')
  const [tx, setTx] = createSignal<{ kind: 'deposit' | 'withdrawal'; step: TransactionStep | { step: 'credited' } | { step: 'crediting'; hash: string } }>()
  const action = createAction()
  const { busy, failure, setFailure } = action
  // Whatever happened, the escrow's figures are read again.
  const run = (step: () => Promise<unknown>) => action.run(step).then(() => refresh().catch(() => {}))

  const makeDeposit = (event: SubmitEvent) => {
    event.preventDefault()
    const units = parseUsd(amount())
    if (!units) return setFailure(new Error('Enter an amount in dollars to deposit, such as 10'))
    void run(async () => {
      const { ref, hash } = await deposit(latestOf(clients)!, units, (step) => setTx({ kind: 'deposit', step }))
      setTx({ kind: 'deposit', step: { step: 'crediting', hash } })
      setAmount('')
      // The router credits a deposit once it has its confirmations: watch the journal for its reference.
      const deadline = Date.now() + CREDIT_WAIT_MS
      while (Date.now() < deadline) {
        const entries = await api.journal(address(), { limit: 50 })
        if (entries.some((entry) => entry.kind === 'deposit' && entry.ref === ref)) {
          setTx({ kind: 'deposit', step: { step: 'credited' } })
          props.onCredited()
          return
        }
        await new Promise((resolve) => setTimeout(resolve, CREDIT_POLL_MS))
      }
      throw new Error(`The deposit ${short(hash)} is on chain, but the router has not credited it yet; it will once it sees it.`)
    })
  }

  const depositSteps = () => {
    const current = tx()
    if (current?.kind !== 'deposit') return []
    const order = ['signing', 'pending', 'confirmed', 'crediting', 'credited']
    const at = order.indexOf(current.step.step)
    const hash = 'hash' in current.step ? current.step.hash : undefined
    const confirmations = latestOf(info)?.confirmations ?? 1
    return [
      { label: 'Sign the permit and the deposit in your wallet', done: at > 0 },
      { label: <>Transaction sent{hash ? <> (<code>{short(hash)}</code>)</> : null}</>, done: at > 1 },
      { label: 'Mined on chain', done: at > 2 },
      { label: `Credited to your balance (after ${confirmations} confirmation${confirmations === 1 ? '' : 's'})`, done: at >= 4 },
    ]
  }

  return (
    <Panel title="Deposit and withdraw">
      <Async resource={state} loadingText="Reading the escrow through your wallet…">
        {(s) => (
          <>
            <div class="stats">
              <Stat label="Stablecoin in your wallet" value={usd(s.walletTokens)} />
              <Stat label="Your balance in the escrow" value={usd(s.escrowed)} hint="Backs your credits; usage is settled from it." />
            </div>
            <form class="form inline" onSubmit={makeDeposit} aria-label="Deposit">
              <div class="field">
                <label for="deposit-amount">Deposit (USD)</label>
                <input id="deposit-amount" inputmode="decimal" placeholder="10" value={amount()} onInput={(e) => setAmount(e.currentTarget.value)} />
              </div>
              <button type="submit" class="primary" disabled={busy()}>
                Deposit
              </button>
            </form>
            <Show when={depositSteps().length}>
              <Progress steps={depositSteps()} />
            </Show>
            <h3>Withdraw</h3>
            <Show
              when={s.withdrawal}
              fallback={
                <form
                  class="form inline"
                  aria-label="Request a withdrawal"
                  onSubmit={(event) => {
                    event.preventDefault()
                    const units = parseUsd(withdrawAmount())
                    if (!units) return setFailure(new Error('Enter an amount in dollars to withdraw'))
                    void run(async () => {
                      await requestWithdrawal(latestOf(clients)!, units, (step) => setTx({ kind: 'withdrawal', step }))
                      setWithdrawAmount('')
                    })
                  }}
                >
                  <div class="field">
                    <label for="withdraw-amount">Withdraw (USD)</label>
                    <input id="withdraw-amount" inputmode="decimal" placeholder={usd(s.escrowed).slice(1)} value={withdrawAmount()} onInput={(e) => setWithdrawAmount(e.currentTarget.value)} />
                  </div>
                  <button type="submit" class="secondary" disabled={busy()}>
                    Request withdrawal
                  </button>
                </form>
              }
            >
              {(request) => {
                const left = () => thawLeft(request().maturesAt, chainNow())
                return (
                  <div class="withdrawal" data-testid="withdrawal">
                    <p>
                      {usd(request().amount)} requested.{' '}
                      <Show when={left()} fallback={<strong>Ready to withdraw.</strong>}>
                        {(text) => (
                          <>
                            Thaws in <strong data-testid="thaw">{text()}</strong>: until then the router still settles what you already spent, and the
                            requested credits cannot be spent.
                          </>
                        )}
                      </Show>
                    </p>
                    <div class="actions">
                      <button type="button" class="primary" disabled={busy() || Boolean(left())} onClick={() => void run(() => withdraw(latestOf(clients)!, (step) => setTx({ kind: 'withdrawal', step })))}>
                        Withdraw
                      </button>
                      <button type="button" class="secondary" disabled={busy()} onClick={() => void run(() => cancelWithdrawal(latestOf(clients)!, (step) => setTx({ kind: 'withdrawal', step })))}>
                        Cancel request
                      </button>
                    </div>
                  </div>
                )
              }}
            </Show>
          </>
        )}
      </Async>
      <Show when={failure()}>{(error) => <ErrorNotice error={error()} />}</Show>
      <Show when={clients.error}>
        <ErrorNotice error={clients.error} />
      </Show>
    </Panel>
  )
}

/** A provider's earnings in the escrow, claimable to its payout address (the signed-in wallet). */
export function PayoutEarnings(props: { escrow: Escrow }) {
  const { clients, state, refresh } = props.escrow
  const [step, setStep] = createSignal<TransactionStep>()
  const { busy, failure, run } = createAction()
  const collect = () => run(() => claim(latestOf(clients) as EscrowClients, setStep)).then(() => refresh().catch(() => {}))
  return (
    <Panel title="Earnings">
      <Async resource={state} loadingText="Reading the escrow through your wallet…">
        {(s) => (
          <div class="actions">
            <Stat label="Claimable in the escrow" value={usd(s.earnings)} hint="Settled usage of the nodes that pay out to this wallet." />
            <button type="button" class="primary" disabled={busy() || s.earnings === 0n} onClick={() => void collect()}>
              Claim {usd(s.earnings)}
            </button>
            <Show when={step()}>{(current) => <span class="status">{current().step === 'confirmed' ? 'Claimed.' : current().step === 'pending' ? 'Waiting for the transaction…' : 'Confirm in your wallet…'}</span>}</Show>
          </div>
        )}
      </Async>
      <Show when={failure()}>{(error) => <ErrorNotice error={error()} />}</Show>
      <Show when={clients.error}>
        <ErrorNotice error={clients.error} />
      </Show>
    </Panel>
  )
}
