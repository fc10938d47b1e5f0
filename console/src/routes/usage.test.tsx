import { fireEvent, screen, waitFor } from '@solidjs/testing-library'
import { describe, it, expect, vi } from 'vitest'
import { ADDRESS, apiKey, generation, renderConsole, standInApi } from '../testing.tsx'
import { apiFilters, PAGE_SIZE, proofUrl } from './usage.tsx'

describe('the usage page', () => {
  it('lists requests with cost and provider, and shows no settlement column while nothing is settled', async () => {
    const api = standInApi({ generations: async () => [generation()] })
    renderConsole(api, '/usage')
    const row = (await screen.findByRole('rowheader', { name: 'dev/chat' })).closest('tr')!
    expect(row.textContent).toContain('$0.000006')
    expect(row.textContent).toContain('3 / 16')
    expect(row.textContent).toContain('laptop')
    expect(row.textContent).toContain('completed')
    expect(screen.queryByRole('columnheader', { name: 'Settlement' })).toBeNull()
  })

  it('adds a settlement column with a proof link once a generation has a batch', async () => {
    const api = standInApi({ generations: async () => [generation({ id: 'gen-2', settlement_batch_id: '7' }), generation()] })
    renderConsole(api, '/usage')
    expect(await screen.findByRole('columnheader', { name: 'Settlement' })).toBeTruthy()
    expect(screen.getByRole('link', { name: 'Batch 7 proof' }).getAttribute('href')).toBe(`/api/accounts/${ADDRESS}/settlements/7/proof?generation=gen-2`)
    expect(screen.getByText('Pending')).toBeTruthy()
  })

  it('filters by key, model and dates, pages, and exports the same filters as CSV', async () => {
    const page = Array.from({ length: PAGE_SIZE + 1 }, (_, i) => generation({ id: `gen-${i}` }))
    const api = standInApi({
      keys: async () => [apiKey(), apiKey({ id: '33333333-3333-4333-8333-333333333333', name: 'ci' })],
      usage: vi.fn(async (_a: string, group: string) => (group === 'model' ? [{ model: 'dev/chat', requests: 1, prompt_tokens: 1, completion_tokens: 1, cost_micro_usd: '1' }] : [])),
      generations: vi.fn(async () => page),
    })
    renderConsole(api, '/usage')
    await screen.findAllByRole('rowheader', { name: 'dev/chat' })
    fireEvent.change(screen.getByLabelText('Key'), { target: { value: '33333333-3333-4333-8333-333333333333' } })
    fireEvent.change(await screen.findByLabelText('Model'), { target: { value: 'dev/chat' } })
    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2026-11-01' } })
    fireEvent.change(screen.getByLabelText('To (inclusive)'), { target: { value: '2026-11-30' } })
    const filters = { key_id: '33333333-3333-4333-8333-333333333333', model: 'dev/chat', from: '2026-11-01', to: '2026-12-01' }
    await waitFor(() => expect(api.generations).toHaveBeenLastCalledWith(ADDRESS, { ...filters, limit: PAGE_SIZE + 1, offset: 0 }))
    expect(api.usage).toHaveBeenCalledWith(ADDRESS, 'key', filters)
    const csv = screen.getByRole('link', { name: 'Export CSV' }).getAttribute('href')!
    expect(Object.fromEntries(new URL(csv, 'http://x').searchParams)).toEqual(filters)

    fireEvent.click(screen.getByRole('button', { name: 'Older' }))
    await waitFor(() => expect(api.generations).toHaveBeenLastCalledWith(ADDRESS, { ...filters, limit: PAGE_SIZE + 1, offset: PAGE_SIZE }))
    expect(screen.getByText('Page 2')).toBeTruthy()
  })

  it('says when nothing matches', async () => {
    renderConsole(standInApi(), '/usage')
    expect(await screen.findByText('No requests match these filters.')).toBeTruthy()
  })

  it('turns the inclusive end date into the exclusive one of the API, and knows where a proof is', () => {
    expect(apiFilters({ from: '2026-11-01', to: '2026-11-30' })).toEqual({ from: '2026-11-01', to: '2026-12-01' })
    expect(apiFilters({})).toEqual({})
    expect(proofUrl(ADDRESS, { id: 'gen-1', settlement_batch_id: null })).toBeUndefined()
    expect(proofUrl(ADDRESS, { id: 'gen-1', settlement_batch_id: '3' })).toBe(`/api/accounts/${ADDRESS}/settlements/3/proof?generation=gen-1`)
  })
})
