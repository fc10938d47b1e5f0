import { fireEvent, screen, waitFor } from '@solidjs/testing-library'
import { describe, it, expect } from 'vitest'
import { ApiError } from '../api/errors.ts'
import { ADDRESS, renderConsole, settings, standInApi } from '../testing.tsx'

const input = (label: string, value: string) => fireEvent.input(screen.getByLabelText(label), { target: { value } })

describe('the settings page', () => {
  it('shows the saved settings and saves the whole document in the API units', async () => {
    const api = standInApi({
      settings: async () => settings({ provider: { sort: 'price', max_price: { prompt: '0.5', completion: null }, ignore: ['slow-node'], quantizations: null, allow_fallbacks: true }, updated_at: '2026-11-20T08:00:00.000Z' }),
    })
    renderConsole(api, '/settings')
    expect(((await screen.findByLabelText('Provider order')) as HTMLSelectElement).value).toBe('price')
    expect((screen.getByLabelText('Maximum input price (USD / M tokens)') as HTMLInputElement).value).toBe('0.5')
    expect((screen.getByLabelText('Ignored providers') as HTMLInputElement).value).toBe('slow-node')
    expect(screen.getByText('Saved 2026-11-20 08:00 UTC')).toBeTruthy()

    fireEvent.change(screen.getByLabelText('Provider order'), { target: { value: 'throughput' } })
    input('Maximum output price (USD / M tokens)', '1.5')
    input('Ignored providers', 'slow-node, 12D3KooWabc')
    input('Allowed quantizations', 'fp16, q8_0')
    fireEvent.click(screen.getByLabelText('Fall back to other providers when the first choice fails'))
    input('Models the account may use', 'dev/chat')
    input('Warn when the balance is below (USD)', '2.5')
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }))
    await waitFor(() =>
      expect(api.saveSettings).toHaveBeenCalledWith(ADDRESS, {
        provider: { sort: 'throughput', max_price: { prompt: '0.5', completion: '1.5' }, ignore: ['slow-node', '12D3KooWabc'], quantizations: ['fp16', 'q8_0'], allow_fallbacks: false },
        allowed_models: ['dev/chat'],
        low_balance_threshold_micro_usd: '2500000',
      }),
    )
    expect(await screen.findByText('Saved 2026-11-25 12:30 UTC')).toBeTruthy()
  })

  it('clears a field back to no restriction', async () => {
    const api = standInApi({ settings: async () => settings({ allowed_models: ['dev/chat'], low_balance_threshold_micro_usd: '1000000' }) })
    renderConsole(api, '/settings')
    await screen.findByLabelText('Models the account may use')
    input('Models the account may use', '')
    input('Warn when the balance is below (USD)', '')
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }))
    await waitFor(() => expect(api.saveSettings).toHaveBeenCalledWith(ADDRESS, expect.objectContaining({ allowed_models: null, low_balance_threshold_micro_usd: null })))
  })

  it('explains a value it cannot send, and an answer the router refused', async () => {
    const api = standInApi({ saveSettings: async () => Promise.reject(new ApiError(400, "Invalid value for 'provider.ignore': Too big", 'invalid_value', 'provider.ignore')) })
    renderConsole(api, '/settings')
    await screen.findByLabelText('Maximum input price (USD / M tokens)')
    input('Maximum input price (USD / M tokens)', 'cheap')
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }))
    expect((await screen.findByRole('alert')).textContent).toMatch(/maximum input price must be an amount/)
    input('Maximum input price (USD / M tokens)', '')
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }))
    expect((await screen.findByText(/Too big/)).textContent).toContain('(provider.ignore)')
  })
})
