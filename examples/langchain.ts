/**
 * LangChain's `ChatOpenAI` against an Agora router: `invoke`, then `stream`. The router goes
 * in `configuration.baseURL`, which LangChain hands to the OpenAI client it wraps.
 *
 *   AGORA_BASE_URL=http://127.0.0.1:8080/v1 AGORA_API_KEY=sk-agora-… npx tsx examples/langchain.ts
 *
 * Env: AGORA_BASE_URL, AGORA_API_KEY (required); AGORA_MODEL (default `dev/chat`).
 */
import { ChatOpenAI } from '@langchain/openai'
import { HumanMessage, SystemMessage } from '@langchain/core/messages'

const baseURL = process.env.AGORA_BASE_URL
const apiKey = process.env.AGORA_API_KEY
if (!baseURL || !apiKey) {
  console.error('Set AGORA_BASE_URL (e.g. http://127.0.0.1:8080/v1) and AGORA_API_KEY; `npm start` prints both.')
  process.exit(2)
}

// LangChain retries a failed call (a 5xx, a dropped connection) up to six times with backoff by default;
// one retry keeps an example quick to fail. A bad key or an unknown model is not retried at all.
const chat = new ChatOpenAI({ model: process.env.AGORA_MODEL ?? 'dev/chat', apiKey, configuration: { baseURL }, maxRetries: 1 })

try {
  const reply = await chat.invoke([
    new SystemMessage('You answer in one sentence.'),
    new HumanMessage('What is an inference marketplace?'),
  ])
  if (!reply.text) throw new Error('invoke returned no text')
  console.log(`invoke: ${reply.text}`)
  console.log(`usage: ${reply.usage_metadata?.input_tokens} input + ${reply.usage_metadata?.output_tokens} output tokens`)

  process.stdout.write('stream: ')
  let text = ''
  for await (const chunk of await chat.stream('Name three things a provider node announces.')) {
    text += chunk.text
    process.stdout.write(chunk.text)
  }
  process.stdout.write('\n')
  if (!text) throw new Error('stream carried no text')
} catch (error) {
  console.error(`langchain example failed: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
}
