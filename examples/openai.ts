/**
 * The official `openai` SDK against an Agora router: a chat completion, the same streamed,
 * and embeddings. Only the base URL and the key change from code written for OpenAI.
 *
 *   AGORA_BASE_URL=http://127.0.0.1:8080/v1 AGORA_API_KEY=sk-agora-… npx tsx examples/openai.ts
 *
 * Env: AGORA_BASE_URL, AGORA_API_KEY (required); AGORA_MODEL (default `dev/chat`),
 * AGORA_EMBEDDING_MODEL (default `dev/embed`).
 */
import OpenAI from 'openai'

const baseURL = process.env.AGORA_BASE_URL
const apiKey = process.env.AGORA_API_KEY
if (!baseURL || !apiKey) {
  console.error('Set AGORA_BASE_URL (e.g. http://127.0.0.1:8080/v1) and AGORA_API_KEY; `npm start` prints both.')
  process.exit(2)
}
const model = process.env.AGORA_MODEL ?? 'dev/chat'
const embeddingModel = process.env.AGORA_EMBEDDING_MODEL ?? 'dev/embed'

const client = new OpenAI({ baseURL, apiKey })

try {
  const completion = await client.chat.completions.create({
    model,
    messages: [{ role: 'user', content: 'In one sentence, what is an inference marketplace?' }],
  })
  const text = completion.choices[0]?.message.content ?? ''
  if (!text) throw new Error('the chat completion has no content')
  // `provider` is Agora's addition to OpenAI's shape: the display name of the node that answered.
  const { provider } = completion as typeof completion & { provider?: string }
  console.log(`chat (${completion.model} via ${provider}): ${text}`)
  console.log(`usage: ${completion.usage?.prompt_tokens} prompt + ${completion.usage?.completion_tokens} completion tokens`)

  const stream = await client.chat.completions.create({
    model,
    messages: [{ role: 'user', content: 'Name three things a provider node announces.' }],
    stream: true,
    stream_options: { include_usage: true },
  })
  process.stdout.write('stream: ')
  let streamed = ''
  let streamedTokens: number | undefined
  for await (const chunk of stream) {
    const delta = chunk.choices[0]?.delta.content ?? ''
    streamed += delta
    process.stdout.write(delta)
    if (chunk.usage) streamedTokens = chunk.usage.completion_tokens
  }
  process.stdout.write('\n')
  if (!streamed) throw new Error('the stream carried no text')
  console.log(`stream usage: ${streamedTokens ?? 'not reported'} completion tokens`)

  const embeddings = await client.embeddings.create({
    model: embeddingModel,
    input: ['open models', 'many small nodes'],
  })
  const dimensions = embeddings.data[0]?.embedding.length ?? 0
  if (embeddings.data.length !== 2 || dimensions === 0) throw new Error('expected two non-empty embeddings')
  console.log(`embeddings (${embeddings.model}): ${embeddings.data.length} vectors x ${dimensions} dimensions`)
} catch (error) {
  console.error(`openai example failed: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
}
