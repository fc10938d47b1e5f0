import { ErrorEnvelope } from '@agora/protocol/openai'

/**
 * An error answer of the router, in OpenAI's shape: `status`, `code` (`invalid_session`,
 * `model_not_allowed`, …), `param` and a message meant for people.
 */
export class ApiError extends Error {
  override name = 'ApiError'
  readonly status: number
  readonly code: string | null
  readonly param: string | null

  constructor(status: number, message: string, code: string | null = null, param: string | null = null) {
    super(message)
    this.status = status
    this.code = code
    this.param = param
  }
}

/** The router's error envelope as an `ApiError`; a body that is not one still gives a readable message. */
export async function apiError(response: Response): Promise<ApiError> {
  const text = await response.text()
  try {
    const { error } = ErrorEnvelope.parse(JSON.parse(text))
    return new ApiError(response.status, error.message, error.code, error.param)
  } catch {
    return new ApiError(response.status, `The router answered ${response.status} ${response.statusText}`.trim())
  }
}
