import { describe, it, expect } from 'vitest'
import { ChatCompletionRequest } from './chat.ts'
import { CompletionRequest } from './completions.ts'
import { EmbeddingRequest } from './embeddings.ts'

describe('OpenAI request schemas', () => {
  it('keep fields they do not know, so vendor parameters reach the provider', () => {
    const body = { model: 'm', messages: [{ role: 'user', content: 'hi', cache_control: { type: 'ephemeral' } }], top_k: 40, min_p: 0.1 }
    expect(ChatCompletionRequest.parse(body)).toEqual(body)
  })

  it('accept what the SDKs send: tools, tool results, multimodal parts, response_format, nulls', () => {
    const body = {
      model: 'm',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'data:,' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '42' },
      ],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      tool_choice: 'auto',
      response_format: { type: 'json_object' },
      temperature: null,
      stream_options: null,
    }
    expect(ChatCompletionRequest.safeParse(body).success).toBe(true)
  })

  it('reject what no provider could serve, with the path of the bad field', () => {
    const issue = (result: { success: boolean; error?: { issues: Array<{ path: PropertyKey[] }> } }) => result.error?.issues[0]?.path.join('.')
    expect(issue(ChatCompletionRequest.safeParse({ model: 'm', messages: [] }))).toBe('messages')
    expect(issue(ChatCompletionRequest.safeParse({ model: 'm', messages: [{ role: 'wizard', content: 'x' }] }))).toBe('messages.0.role')
    expect(issue(ChatCompletionRequest.safeParse({ model: 'm', messages: [{ role: 'user', content: 'x' }], temperature: 3 }))).toBe('temperature')
    expect(issue(ChatCompletionRequest.safeParse({ model: '', messages: [{ role: 'user', content: 'x' }] }))).toBe('model')
    expect(issue(CompletionRequest.safeParse({ model: 'm', prompt: 5 }))).toBe('prompt')
    expect(issue(EmbeddingRequest.safeParse({ model: 'm', input: [] }))).toBe('input')
    expect(issue(EmbeddingRequest.safeParse({ model: 'm', input: 'x', encoding_format: 'hex' }))).toBe('encoding_format')
  })
})
