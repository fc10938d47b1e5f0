import { fireEvent, screen, waitFor, within } from '@solidjs/testing-library'
import { describe, it, expect, vi } from 'vitest'
import { ApiError } from '../api/errors.ts'
import type { JournalEntry, ProviderNode } from '../api/schemas.ts'
import { ADDRESS, renderConsole, standInApi } from '../testing.tsx'
import { dailySpend, spendSince } from './overview.tsx'

const entry = (id: number, kind: JournalEntry['kind'], amount: string): JournalEntry => ({
  id,
  kind,
  amount_micro_usd: amount,
  key_id: null,
  hold_id: null,
  generation_id: kind === 'charge' ? `gen-${id}` : null,
  ref: null,
  note: kind === 'adjustment' ? 'welcome grant' : null,
  created_at: '2026-11-25T10:00:00.000Z',
})

describe('the overview', () => {
  it('shows the balance, spend today, this week and this month, and the top models', async () => {
    const today = new Date().toISOString().slice(0, 10)
    const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000).toISOString().slice(0, 10)
    const api = standInApi({
      usage: vi.fn(async (_a: string, group: string) =>
        group === 'day'
          ? [
              { day: tenDaysAgo, requests: 1, prompt_tokens: 1, completion_tokens: 1, cost_micro_usd: '1000000' },
              { day: today, requests: 2, prompt_tokens: 10, completion_tokens: 20, cost_micro_usd: '250000' },
            ]
          : [
              { model: 'dev/cheap', requests: 9, prompt_tokens: 90, completion_tokens: 90, cost_micro_usd: '10' },
              { model: 'dev/chat', requests: 2, prompt_tokens: 10, completion_tokens: 20, cost_micro_usd: '250000' },
            ],
      ),
    })
    renderConsole(api, '/')
    expect((await screen.findByText('Balance')).parentElement!.textContent).toContain('$12.50')
    expect((await screen.findByText('Spent today')).parentElement!.textContent).toContain('$0.25')
    expect(screen.getByText('Last 7 days').parentElement!.textContent).toContain('$0.25')
    expect(screen.getByText('Last 30 days').parentElement!.textContent).toContain('$1.25')
    const models = within(await screen.findByRole('region', { name: 'Top models' })).getAllByRole('rowheader')
    expect(models.map((cell) => cell.textContent)).toEqual(['dev/chat', 'dev/cheap'])
    // Without a canvas (jsdom) the chart is its table of figures.
    expect(screen.getByText('Spend per day (UTC)')).toBeTruthy()
  })

  it('has an empty state for an account that never made a request', async () => {
    renderConsole(standInApi(), '/')
    expect(await screen.findByText(/No requests in the last 30 days/)).toBeTruthy()
    expect(await screen.findByText('No model has been used in the last 30 days.')).toBeTruthy()
  })

  it('fills the days without usage with zero, and sums spend from a day on', () => {
    const rows = [{ day: '2026-11-25', requests: 1, prompt_tokens: 0, completion_tokens: 0, cost_micro_usd: '1500000' }]
    const points = dailySpend(rows, new Date('2026-11-25T12:00:00Z'))
    expect(points).toHaveLength(30)
    expect(points[0]).toEqual({ day: '2026-10-27', usd: 0 })
    expect(points.at(-1)).toEqual({ day: '2026-11-25', usd: 1.5 })
    expect(spendSince(rows, '2026-11-25')).toBe(1_500_000n)
    expect(spendSince(rows, '2026-11-26')).toBe(0n)
  })
})

describe('the credits page', () => {
  it('shows the balance split and the history, a page at a time', async () => {
    const first = Array.from({ length: 26 }, (_, i) => entry(100 - i, i % 2 ? 'charge' : 'hold', i % 2 ? '-6' : '-900'))
    const journal = vi.fn(async (_a: string, page: { before?: number } = {}) => (page.before === undefined ? first : [entry(1, 'adjustment', '20000000')]))
    renderConsole(standInApi({ journal }), '/credits')
    expect((await screen.findByText('Granted by the operator')).parentElement!.textContent).toContain('$20.00')
    expect(await screen.findAllByText('Charged')).toHaveLength(12)
    fireEvent.click(screen.getByRole('button', { name: 'Older' }))
    await waitFor(() => expect(journal).toHaveBeenLastCalledWith(ADDRESS, { limit: 26, before: 76 }))
    expect(await screen.findByText('welcome grant')).toBeTruthy()
    expect(screen.getByText('+$20.00')).toBeTruthy()
    fireEvent.click(screen.getByRole('button', { name: 'Newer' }))
    await waitFor(() => expect(journal).toHaveBeenLastCalledWith(ADDRESS, { limit: 26 }))
  })

  it('leaves deposits and withdrawals out when the router has no escrow', async () => {
    renderConsole(standInApi(), '/credits')
    expect(await screen.findByText(/no escrow on chain: its operator grants credits/)).toBeTruthy()
    expect(screen.queryByLabelText('Deposit (USD)')).toBeNull()
    expect(screen.queryByRole('button', { name: 'Request withdrawal' })).toBeNull()
  })

  it('offers to try again when the router cannot be reached', async () => {
    let calls = 0
    const journal = vi.fn(async () => (calls++ === 0 ? Promise.reject(new ApiError(0, 'The router cannot be reached (Failed to fetch)', 'network_error')) : []))
    renderConsole(standInApi({ journal }), '/credits')
    expect((await screen.findByRole('alert')).textContent).toContain('cannot be reached')
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }))
    expect(await screen.findByText('No balance changes yet.')).toBeTruthy()
  })
})

describe('the models page', () => {
  it('lists the catalog with prices per million tokens, and a model’s providers on demand', async () => {
    const api = standInApi({
      models: async () => [
        {
          id: 'dev/chat',
          object: 'model',
          created: 1,
          owned_by: 'dev',
          context_length: 8192,
          pricing: { prompt: '0.0000001', completion: '0.0000003' },
          price_range: { prompt: { min: '0.0000001', max: '0.0000002' }, completion: { min: '0.0000003', max: '0.0000003' } },
          providers: 2,
          quantizations: ['fp16'],
        },
      ],
      endpoints: vi.fn(async () => [
        { provider: 'local-dev', peer_id: '12D3KooWx', context_length: 8192, quantization: 'fp16', pricing: { prompt: '0.0000001', completion: '0.0000003' }, max_concurrency: 16, status: 'available' as const, latency_ms: 24, throughput_tps: 72.9, rtt_ms: 0, uptime_last_hour: 1, in_flight: 0 },
      ]),
    })
    renderConsole(api, '/models')
    const row = (await screen.findByRole('rowheader', { name: 'dev/chat' })).closest('tr')!
    expect(row.textContent).toContain('$0.10 – $0.20')
    expect(row.textContent).toContain('$0.30')
    expect(row.textContent).toContain('8,192')
    fireEvent.click(within(row).getByRole('button', { name: 'Providers of dev/chat' }))
    const providers = await screen.findByRole('table', { name: 'Providers of dev/chat' })
    expect(providers.textContent).toContain('local-dev')
    expect(providers.textContent).toContain('24 ms')
    expect(providers.textContent).toContain('72.9 tok/s')
    expect(providers.textContent).toContain('100%')
    expect(api.endpoints).toHaveBeenCalledWith('dev/chat')
  })
})

describe('the provider page', () => {
  it('shows the nodes that pay out to the wallet', async () => {
    const node: ProviderNode = {
      peer_id: '12D3KooWnode',
      name: 'gpu-box',
      online: true,
      offer_expires_at: '2026-11-25T13:00:00.000Z',
      models: [{ id: 'dev/chat', context_length: 8192, quantization: null, pricing: { prompt: '0.0000001', completion: '0.0000003' }, max_concurrency: 16, status: 'available', latency_ms: null, throughput_tps: 80 }],
      served: { requests: 1234, prompt_tokens: 5000, completion_tokens: 9000, charged_micro_usd: '4200' },
    }
    renderConsole(standInApi({ nodes: async () => [node] }), '/provider')
    expect(await screen.findByRole('heading', { name: 'gpu-box' })).toBeTruthy()
    expect(screen.getByText('online')).toBeTruthy()
    expect(screen.getByText('1,234')).toBeTruthy()
    expect(screen.getByText('$0.0042')).toBeTruthy()
    expect(screen.getByRole('rowheader', { name: 'dev/chat' }).closest('tr')!.textContent).toContain('80.0 tok/s')
  })

  it('explains how a wallet becomes a provider when no node pays out to it, and offers no claim off chain', async () => {
    renderConsole(standInApi(), '/provider')
    expect(await screen.findByText(/No live node pays out to this wallet/)).toBeTruthy()
    expect(screen.queryByRole('heading', { name: 'Earnings' })).toBeNull()
  })
})
