import { fireEvent, screen, waitFor, within } from '@solidjs/testing-library'
import { describe, it, expect } from 'vitest'
import { ADDRESS, apiKey, renderConsole, standInApi } from '../testing.tsx'
import { keyStatus } from './keys.tsx'

const input = (label: string, value: string) => fireEvent.input(screen.getByLabelText(label), { target: { value } })

describe('the keys page', () => {
  it('creates a key with its limits and shows the secret once, with a copy button', async () => {
    const api = standInApi({ models: async () => [{ id: 'dev/chat' } as never] })
    renderConsole(api, '/keys')
    fireEvent.click(await screen.findByRole('button', { name: 'Create a key' }))
    input('Name', 'ci')
    input('Spend limit (USD)', '12.50')
    fireEvent.change(screen.getByLabelText('Limit period'), { target: { value: 'monthly' } })
    input('Requests per minute', '60')
    input('Tokens per minute', '100000')
    fireEvent.click(await screen.findByRole('button', { name: 'dev/chat' }))
    input('Expires after (UTC day)', '2027-01-31')
    fireEvent.click(screen.getByRole('button', { name: 'Create key' }))

    const secret = await screen.findByTestId('new-secret')
    expect(secret.textContent).toBe('sk-agora-XyZ123thisIsTheOnlyTimeYouSeeIt000')
    expect(screen.getByText(/it is not shown again/)).toBeTruthy()
    expect(screen.getByRole('button', { name: 'Copy secret' })).toBeTruthy()
    expect(api.createKey).toHaveBeenCalledWith(ADDRESS, {
      name: 'ci',
      spend_limit_micro_usd: '12500000',
      spend_reset: 'monthly',
      rpm_limit: 60,
      tpm_limit: 100000,
      allowed_models: ['dev/chat'],
      expires_at: '2027-01-31T23:59:59.000Z',
    })
    const table = screen.getByRole('region', { name: 'Your keys' })
    expect(within(table).getByRole('rowheader', { name: 'ci' })).toBeTruthy()

    fireEvent.click(screen.getByRole('button', { name: 'I have saved it' }))
    expect(screen.queryByTestId('new-secret')).toBeNull()
  })

  it('says what is wrong with a limit instead of sending it', async () => {
    const api = standInApi()
    renderConsole(api, '/keys')
    fireEvent.click(await screen.findByRole('button', { name: 'Create a key' }))
    input('Name', 'bad')
    input('Requests per minute', '1.5')
    fireEvent.click(screen.getByRole('button', { name: 'Create key' }))
    expect((await screen.findByRole('alert')).textContent).toMatch(/Requests per minute must be a whole number/)
    expect(api.createKey).not.toHaveBeenCalled()
  })

  it('lists keys with what they spent, edits limits and revokes after a confirmation', async () => {
    const api = standInApi({
      keys: async () => [apiKey({ spend_limit_micro_usd: '5000000', spend_reset: 'daily', rpm_limit: 30 })],
      usage: async () => [{ key: apiKey().id, name: 'laptop', requests: 42, prompt_tokens: 100, completion_tokens: 200, cost_micro_usd: '1234567' }],
    })
    renderConsole(api, '/keys')
    const row = (await screen.findByRole('rowheader', { name: 'laptop' })).closest('tr')!
    expect(row.textContent).toContain('$5.00 / day')
    expect(row.textContent).toContain('$1.234567')
    expect(row.textContent).toContain('42')
    expect(row.textContent).toContain('30 rpm')

    fireEvent.click(await screen.findByRole('button', { name: 'Edit laptop' }))
    input('Requests per minute', '')
    fireEvent.click(screen.getByRole('button', { name: 'Save changes' }))
    await waitFor(() => expect(api.updateKey).toHaveBeenCalledWith(ADDRESS, apiKey().id, expect.objectContaining({ name: 'laptop', rpm_limit: null, spend_limit_micro_usd: '5000000', spend_reset: 'daily' })))

    await waitFor(() => expect(screen.queryByRole('button', { name: 'Save changes' })).toBeNull())
    fireEvent.click(screen.getByRole('button', { name: 'Revoke laptop' }))
    expect(api.revokeKey).not.toHaveBeenCalled()
    fireEvent.click(await screen.findByRole('button', { name: 'Confirm revoke' }))
    await waitFor(() => expect(api.revokeKey).toHaveBeenCalledWith(ADDRESS, apiKey().id))
    expect((await screen.findByText('revoked')).className).toContain('badge')
  })

  it('tells active, revoked and expired keys apart', () => {
    const now = new Date('2026-11-25T00:00:00Z')
    expect(keyStatus({ revoked_at: null, expires_at: null }, now)).toBe('active')
    expect(keyStatus({ revoked_at: '2026-11-01T00:00:00Z', expires_at: null }, now)).toBe('revoked')
    expect(keyStatus({ revoked_at: null, expires_at: '2026-11-24T23:59:59Z' }, now)).toBe('expired')
  })
})
