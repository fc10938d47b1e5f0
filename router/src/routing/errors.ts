import { MarketError } from '@agora/protocol'

/**
 * 404: the model has live providers, but the request's provider preferences
 * (`only`, `ignore`, `order`, `quantizations`, `require_parameters`, `max_price`) exclude
 * every one of them. As on OpenRouter, the client must loosen its preferences.
 */
export class NoAllowedProviderError extends MarketError {
  override name = 'NoAllowedProviderError'
  constructor(model: string, param: string, summary: string) {
    super(404, 'invalid_request_error', 'no_allowed_provider', `No provider of \`${model}\` matches your provider preferences (${summary})`, {
      param,
    })
  }
}
