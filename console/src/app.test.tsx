import { fireEvent, screen } from '@solidjs/testing-library'
import { describe, it, expect } from 'vitest'
import { ApiError } from './api/errors.ts'
import { account, renderConsole, settings, standInApi } from './testing.tsx'

describe('the console app', () => {
  it('asks a visitor without a session to sign in, and says so when the browser has no wallet', async () => {
    const api = standInApi({ session: async () => Promise.reject(new ApiError(401, 'Not signed in.', 'invalid_session')) })
    renderConsole(api, '/keys')
    expect(await screen.findByRole('heading', { name: /Agora console/ })).toBeTruthy()
    expect(screen.getByRole('alert').textContent).toMatch(/no Ethereum wallet/)
    expect(screen.queryByRole('navigation', { name: 'Pages' })).toBeNull()
  })

  it('shows a signed-in wallet the page it asked for inside the shell, and logs out', async () => {
    const api = standInApi()
    renderConsole(api, '/credits')
    expect(await screen.findByRole('heading', { level: 1, name: 'Credits' })).toBeTruthy()
    const nav = screen.getByRole('navigation', { name: 'Pages' })
    expect(Array.from(nav.querySelectorAll('a'), (a) => a.textContent)).toEqual(['Overview', 'Keys', 'Usage', 'Models', 'Playground', 'Credits', 'Provider', 'Settings'])
    expect(nav.querySelector('a.active')?.textContent).toBe('Credits')
    expect(screen.getByText('0x5290…9ee7')).toBeTruthy()
    fireEvent.click(screen.getByRole('button', { name: 'Log out' }))
    expect(await screen.findByText(/no Ethereum wallet/)).toBeTruthy()
    expect(api.logout).toHaveBeenCalled()
  })

  it('warns when the balance is under the threshold of the settings', async () => {
    const api = standInApi({ account: async () => account('1000000'), settings: async () => settings({ low_balance_threshold_micro_usd: '5000000' }) })
    renderConsole(api, '/')
    const warning = await screen.findByText(/below your warning threshold/)
    expect(warning.textContent).toContain('$1.00')
    expect(warning.textContent).toContain('$5.00')
  })

  it('returns to the sign-in page when the router says the session ended', async () => {
    const api = standInApi({ keys: async () => Promise.reject(new ApiError(401, 'Your session has expired or was ended. Sign in again.', 'invalid_session')) })
    renderConsole(api, '/keys')
    expect(await screen.findByRole('heading', { name: /Agora console/ })).toBeTruthy()
    expect(screen.queryByRole('navigation', { name: 'Pages' })).toBeNull()
  })

  it('says a page does not exist', async () => {
    renderConsole(standInApi(), '/nope')
    expect(await screen.findByRole('heading', { name: 'Page not found' })).toBeTruthy()
  })
})
