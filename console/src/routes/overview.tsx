import { A } from '@solidjs/router'
import { createResource, onMount } from 'solid-js'
import type { UsageRow } from '../api/schemas.ts'
import { Breakdown } from '../components/breakdown.tsx'
import { Page, Panel, Stat } from '../components/page.tsx'
import { SpendChart, type SpendPoint } from '../components/spend-chart.tsx'
import { Async, latestOf } from '../components/status.tsx'
import { useConsole } from '../context.tsx'
import { usd, usdForChart, utcDay } from '../format.ts'

/** Days the overview looks back, today included. */
const DAYS = 30

/** Spend per day for the last `DAYS` UTC days, zero on days without usage. */
export function dailySpend(rows: UsageRow[], today: Date): SpendPoint[] {
  const byDay = new Map(rows.map((row) => [row.day, row.cost_micro_usd]))
  return Array.from({ length: DAYS }, (_, i) => {
    const day = utcDay(today, i - DAYS + 1)
    return { day, usd: usdForChart(byDay.get(day) ?? '0') }
  })
}

/** Micro-USD spent on the days from `from` (inclusive, `YYYY-MM-DD`) on. */
export function spendSince(rows: UsageRow[], from: string): bigint {
  return rows.filter((row) => row.day !== undefined && row.day >= from).reduce((sum, row) => sum + BigInt(row.cost_micro_usd), 0n)
}

/** Balance, recent spend, a chart of it and the models it went to. */
export function Overview() {
  const { api, address, account, refreshAccount } = useConsole()
  const today = new Date()
  const from = utcDay(today, -(DAYS - 1))
  const [days, { refetch: refetchDays }] = createResource(address, (a) => api.usage(a, 'day', { from }))
  const [models, { refetch: refetchModels }] = createResource(address, (a) => api.usage(a, 'model', { from }))
  // The balance moves with every request; read it again whenever the page opens.
  onMount(refreshAccount)
  const top = () => [...(latestOf(models) ?? [])].sort((a, b) => Number(BigInt(b.cost_micro_usd) - BigInt(a.cost_micro_usd))).slice(0, 5)

  return (
    <Page title="Overview" intro="Your balance and what you spent over the last 30 days (UTC).">
      <div class="stats">
        <Async resource={account} retry={refreshAccount} loadingText="Loading balance…">
          {(a) => (
            <Stat
              label="Balance"
              value={usd(a.balance_micro_usd)}
              hint={
                <>
                  {BigInt(a.credits.held_micro_usd) > 0n ? <>{usd(a.credits.held_micro_usd)} held by running requests · </> : null}
                  <A href="/credits">History</A>
                </>
              }
            />
          )}
        </Async>
        <Async resource={days} retry={() => void refetchDays()} loadingText="Loading spend…">
          {(rows) => (
            <>
              <Stat label="Spent today" value={usd(spendSince(rows, utcDay(today)))} />
              <Stat label="Last 7 days" value={usd(spendSince(rows, utcDay(today, -6)))} />
              <Stat label="Last 30 days" value={usd(spendSince(rows, from))} />
            </>
          )}
        </Async>
      </div>
      <Panel title="Spend per day">
        <Async resource={days} retry={() => void refetchDays()} isEmpty={(rows) => rows.length === 0} emptyText={<>No requests in the last 30 days. Create a key and try the <A href="/playground">playground</A>.</>}>
          {(rows) => <SpendChart points={dailySpend(rows, today)} />}
        </Async>
      </Panel>
      <Panel title="Top models" actions={<A href="/usage">All usage</A>}>
        <Async resource={models} retry={() => void refetchModels()} isEmpty={(rows) => rows.length === 0} emptyText="No model has been used in the last 30 days.">
          {() => <Breakdown rows={top()} label={(row) => row.model ?? ''} heading="Model" name="Top models" />}
        </Async>
      </Panel>
    </Page>
  )
}
