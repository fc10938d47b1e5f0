import { fireEvent, screen, waitFor } from '@solidjs/testing-library'
import { describe, it, expect, vi } from 'vitest'
import type { ChatStreamParameters } from '../api/chat.ts'
import { ApiError } from '../api/errors.ts'
import { renderConsole, standInApi } from '../testing.tsx'

const catalog = async () => [{ id: 'dev/chat' }, { id: 'dev/other' }] as never

describe('the playground', () => {
  it('streams an answer with a pasted key and shows provider, tokens and cost', async () => {
    const chat = vi.fn(async ({ onDelta }: ChatStreamParameters) => {
      onDelta('Hello')
      onDelta(' there')
      return { content: 'Hello there', provider: 'local-dev', generationId: 'gen-abc', usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5, cost: 0.000006 } }
    })
    const api = standInApi({ models: catalog, chat })
    renderConsole(api, '/playground')
    fireEvent.input(await screen.findByLabelText('Key'), { target: { value: 'sk-agora-pasted' } })
    fireEvent.change(screen.getByLabelText('Model'), { target: { value: 'dev/other' } })
    fireEvent.input(screen.getByLabelText('Message'), { target: { value: 'Hi!' } })
    fireEvent.click(screen.getByRole('button', { name: 'Send' }))
    const meta = await screen.findByTestId('answer-meta')
    expect(meta.textContent).toContain('Served by local-dev')
    expect(meta.textContent).toContain('3 + 2 tokens')
    expect(meta.textContent).toContain('$0.000006')
    expect(screen.getByText('Hello there')).toBeTruthy()
    expect(chat).toHaveBeenCalledWith(expect.objectContaining({ apiKey: 'sk-agora-pasted', model: 'dev/other', messages: [{ role: 'user', content: 'Hi!' }] }))
  })

  it('offers the keys created in this tab, and shows a refusal of the router', async () => {
    const chat = vi.fn(async () => Promise.reject(new ApiError(402, 'Insufficient credits: this request may cost up to $0.01, the balance is $0', 'insufficient_credits')))
    const api = standInApi({ models: catalog, chat })
    renderConsole(api, '/keys')
    fireEvent.click(await screen.findByRole('button', { name: 'Create a key' }))
    fireEvent.input(screen.getByLabelText('Name'), { target: { value: 'tab-key' } })
    fireEvent.click(screen.getByRole('button', { name: 'Create key' }))
    fireEvent.click(await screen.findByRole('link', { name: 'Try it in the playground' }))
    const key = (await screen.findByLabelText('Key')) as HTMLSelectElement
    await waitFor(() => expect(key.selectedOptions[0]?.textContent).toBe('tab-key'))
    fireEvent.input(screen.getByLabelText('Message'), { target: { value: 'Hi!' } })
    fireEvent.click(screen.getByRole('button', { name: 'Send' }))
    expect((await screen.findByRole('alert')).textContent).toMatch(/Insufficient credits/)
    expect(chat).toHaveBeenCalledWith(expect.objectContaining({ apiKey: 'sk-agora-XyZ123thisIsTheOnlyTimeYouSeeIt000' }))
  })

  it('says when there is no model to talk to', async () => {
    renderConsole(standInApi(), '/playground')
    expect(await screen.findByText(/No provider is online/)).toBeTruthy()
  })
})
