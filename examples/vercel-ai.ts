/**
 * The Vercel AI SDK against an Agora router, through `@ai-sdk/openai-compatible`:
 * `generateText`, then `streamText`.
 *
 *   AGORA_BASE_URL=http://127.0.0.1:8080/v1 AGORA_API_KEY=sk-agora-… npx tsx examples/vercel-ai.ts
 *
 * Env: AGORA_BASE_URL, AGORA_API_KEY (required); AGORA_MODEL (default `dev/chat`).
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import { generateText, streamText } from 'ai'

const baseURL = process.env.AGORA_BASE_URL
const apiKey = process.env.AGORA_API_KEY
if (!baseURL || !apiKey) {
  console.error('Set AGORA_BASE_URL (e.g. http://127.0.0.1:8080/v1) and AGORA_API_KEY; `npm start` prints both.')
  process.exit(2)
}

// `includeUsage` asks for the final usage chunk of streams (`stream_options.include_usage`).
const agora = createOpenAICompatible({ name: 'agora', baseURL, apiKey, includeUsage: true })
const model = agora.chatModel(process.env.AGORA_MODEL ?? 'dev/chat')

try {
  const generated = await generateText({ model, prompt: 'In one sentence, what is an inference marketplace?' })
  if (!generated.text) throw new Error('generateText returned no text')
  console.log(`generateText: ${generated.text}`)
  console.log(`usage: ${generated.usage.inputTokens} input + ${generated.usage.outputTokens} output tokens (finish: ${generated.finishReason})`)

  // streamText reports errors through `onError` rather than throwing; keep the first one.
  let streamError: unknown
  const streamed = streamText({
    model,
    prompt: 'Name three things a provider node announces.',
    onError: ({ error }) => {
      streamError ??= error
    },
  })
  process.stdout.write('streamText: ')
  let text = ''
  for await (const delta of streamed.textStream) {
    text += delta
    process.stdout.write(delta)
  }
  process.stdout.write('\n')
  if (streamError) throw streamError
  if (!text) throw new Error('streamText carried no text')
  const usage = await streamed.usage
  console.log(`stream usage: ${usage.outputTokens ?? 'not reported'} output tokens`)
} catch (error) {
  console.error(`vercel-ai example failed: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
}
