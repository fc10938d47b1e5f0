import { describe, it, expect } from 'vitest'
import { billableUsage, generatedBytes, promptTokenBound, SPECIAL_TOKEN_ALLOWANCE } from './usage-bound.ts'

describe('generatedBytes', () => {
  it('counts content, reasoning and tool-call text in chunks and results, not ids or roles', () => {
    expect(generatedBytes('chat.completions', { choices: [{ index: 0, delta: { role: 'assistant', content: 'héllo' } }] })).toBe(6)
    expect(
      generatedBytes('chat.completions', {
        choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_abc', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] } }],
      }),
    ).toBe(8)
    expect(generatedBytes('chat.completions', { choices: [{ message: { role: 'assistant', content: 'ok', reasoning_content: 'hmm' } }] })).toBe(5)
    expect(generatedBytes('completions', { choices: [{ text: 'abc', index: 0 }] })).toBe(3)
    expect(generatedBytes('embeddings', { data: [] })).toBe(0)
    expect(generatedBytes('chat.completions', { choices: [], usage: { prompt_tokens: 1 } })).toBe(0)
  })
})

describe('billableUsage', () => {
  it('bills what the provider reports when it is within the bound', () => {
    expect(billableUsage({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }, { promptTokens: 100, completionBytes: 20 })).toEqual({
      promptTokens: 10,
      completionTokens: 5,
      clamped: false,
    })
  })

  it('cuts an inflated report down to what was delivered', () => {
    const billed = billableUsage({ prompt_tokens: 10_000, completion_tokens: 9_999, total_tokens: 19_999 }, { promptTokens: 50, completionBytes: 20, maxTokens: 100 })
    expect(billed).toEqual({ promptTokens: 50, completionTokens: 20 + SPECIAL_TOKEN_ALLOWANCE, clamped: true })
    expect(billableUsage({ prompt_tokens: 1, completion_tokens: 500, total_tokens: 501 }, { promptTokens: 50, completionBytes: 10_000, maxTokens: 16 }).completionTokens).toBe(16)
  })

  it('estimates from what was delivered when the stream broke before a report', () => {
    expect(billableUsage(undefined, { promptTokens: 40, completionBytes: 41 })).toEqual({ promptTokens: 10, completionTokens: 11, clamped: false })
    expect(billableUsage(undefined, { promptTokens: 40, completionBytes: 41, completionChunks: 7 })).toEqual({ promptTokens: 10, completionTokens: 7, clamped: false })
    expect(billableUsage(undefined, { promptTokens: 40, completionBytes: 41, completionChunks: 7, maxTokens: 5 }).completionTokens).toBe(5)
  })
})

describe('promptTokenBound', () => {
  it('bounds prompt tokens by the bytes of the messages and tools', () => {
    const messages = [{ role: 'user', content: 'hi' }]
    expect(promptTokenBound('chat.completions', { messages })).toBe(JSON.stringify(messages).length + SPECIAL_TOKEN_ALLOWANCE)
    expect(promptTokenBound('embeddings', { input: ['a', 'b'] })).toBe(9 + SPECIAL_TOKEN_ALLOWANCE)
  })
})
