import type { Context } from 'hono'
import type { z } from 'zod'
import { InvalidRequestError } from '@agora/protocol'

/**
 * Reads and validates a JSON body. Returns the client's object as sent (so fields we do
 * not model pass through to the provider), typed by `schema`. Errors name the bad param
 * the way OpenAI does (`messages[0].role`).
 */
export async function readJsonBody<S extends z.ZodType<Record<string, unknown>>>(c: Context, schema: S): Promise<z.infer<S> & Record<string, unknown>> {
  const text = await c.req.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new InvalidRequestError(
      'We could not parse the JSON body of your request. The body must be valid JSON with `Content-Type: application/json`.',
      { code: 'invalid_json' },
    )
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InvalidRequestError('The request body must be a JSON object.', { code: 'invalid_json' })
  }
  const parsed = schema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const param = formatPath(issue.path)
    throw new InvalidRequestError(param ? `Invalid value for '${param}': ${issue.message}` : issue.message, { param: param || null, code: 'invalid_value' })
  }
  return json as z.infer<S> & Record<string, unknown>
}

function formatPath(path: PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '')
}
