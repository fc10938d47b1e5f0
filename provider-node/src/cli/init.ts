import { access, mkdir, writeFile, chmod } from 'node:fs/promises'
import { dirname } from 'node:path'
import { ConfigError, MODEL_DEFAULTS, ProviderConfig, loadProviderConfig } from '../config.ts'
import { dataDirPaths, initIdentity, type InitIdentityResult } from '../identity.ts'

/** The engines `init` can write a config for, with what each needs. */
const ENGINE_TEMPLATES = {
  openai: {
    comment:
      'Any OpenAI-compatible server; baseUrl includes /v1. vLLM http://127.0.0.1:8000/v1, Ollama http://127.0.0.1:11434/v1, ' +
      'llama.cpp llama-server http://127.0.0.1:8080/v1 (move it off 8080 if a router runs here). Optional: "apiKey" (or PROVIDER_ENGINE_API_KEY), "timeoutMs".',
    engine: (baseUrl: string | undefined) => ({ kind: 'openai', baseUrl: baseUrl ?? 'http://127.0.0.1:8000/v1' }),
  },
  dev: {
    comment: 'The development engine: deterministic text at a chosen speed ("ttftMs", "tokensPerSecond"), no GPU. It serves exactly the models listed below.',
    engine: () => ({ kind: 'dev' }),
  },
} as const
export type InitEngine = keyof typeof ENGINE_TEMPLATES
export const INIT_ENGINES = Object.keys(ENGINE_TEMPLATES) as InitEngine[]

export interface InitParameters {
  dataDir: string
  /** Where to write the config; default `<dataDir>/provider.json`. */
  configPath?: string
  name: string
  routers: string[]
  engine: InitEngine
  baseUrl?: string
  /** Models to publish under the engine's own names; empty: every model the engine lists. */
  models: string[]
  payoutAddress?: string
  payoutSignature?: string
}

export interface InitReport {
  configPath: string
  /** False when a config was already there and was left as it is. */
  configWritten: boolean
  identity: InitIdentityResult
}

/**
 * `provider-node init`: the node's identity in its data dir, and a commented config that
 * `start` accepts (once it names a router). Never overwrites a key or an existing config.
 */
export async function runInit(parameters: InitParameters): Promise<InitReport> {
  const configPath = parameters.configPath ?? dataDirPaths(parameters.dataDir).config
  const template = configTemplate(parameters)
  // Validate before writing anything, so a bad --router or --base-url leaves no half-made node.
  if (parameters.routers.length) loadProviderConfig(template)
  else {
    try {
      loadProviderConfig(template)
    } catch (error) {
      if (!(error instanceof ConfigError) || error.message.split('\n').some((line) => !line.startsWith('bootstrap:'))) throw error
    }
  }
  const identity = await initIdentity(parameters.dataDir, {
    ...(parameters.payoutAddress !== undefined ? { payoutAddress: parameters.payoutAddress } : {}),
    ...(parameters.payoutSignature !== undefined ? { payoutSignature: parameters.payoutSignature } : {}),
  })
  const exists = await access(configPath).then(
    () => true,
    () => false,
  )
  if (!exists) {
    await mkdir(dirname(configPath), { recursive: true, mode: 0o700 })
    // 0600: the engine's apiKey may end up in it.
    await writeFile(configPath, `${JSON.stringify(template, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
    await chmod(configPath, 0o600)
  }
  return { configPath, configWritten: !exists, identity }
}

/** The config `init` writes: every field a GPU owner tunes, each with a `//` comment. */
export function configTemplate({ name, routers, engine, baseUrl, models }: Pick<InitParameters, 'name' | 'routers' | 'engine' | 'baseUrl' | 'models'>): Record<string, unknown> {
  const defaults = ProviderConfig.shape
  const template = ENGINE_TEMPLATES[engine]
  return {
    '//': [
      'Agora provider node, written by `provider-node init`. Full reference: docs/provider.md.',
      'Keys starting with // are comments; any other unknown key is an error. Environment overrides: provider-node start --help.',
      'The identity (peer.key, payout.key) is in the data dir: back it up and never share it.',
    ],
    '// name': 'Shown to clients in responses\' "provider" field.',
    name,
    '// bootstrap': 'Routers to connect to, each ending in /p2p/<router peer id>. The node dials out and routers answer over that connection: no open port needed.',
    bootstrap: routers,
    '// engine': template.comment,
    engine: template.engine(baseUrl),
    '// models':
      'Empty: publish every model the engine lists, with the defaults below. Or list them to filter, rename and price, e.g. ' +
      '{"id": "meta-llama/Llama-3.1-8B-Instruct", "upstream": "llama3.1:8b", "contextLength": 131072, "quantization": "q4_k_m", ' +
      '"pricing": {"inputPerMTok": 50000, "outputPerMTok": 150000}, "maxConcurrency": 8, "maxQueue": 4}',
    models: models.map((id) => ({ id })),
    '// defaults':
      'For every model without its own values. Prices are micro-USD per million tokens: 100000 = $0.10 per million. ' +
      'maxConcurrency: requests run at once (match vLLM --max-num-seqs or llama-server --parallel); maxQueue: more that wait for a slot ' +
      '(up to queueTimeoutMs) before the node answers busy and the router tries another provider. contextLength: when the engine reports none.',
    defaults: {
      contextLength: MODEL_DEFAULTS.contextLength,
      pricing: { inputPerMTok: Number(MODEL_DEFAULTS.pricing.inputPerMTok), outputPerMTok: Number(MODEL_DEFAULTS.pricing.outputPerMTok) },
      maxConcurrency: MODEL_DEFAULTS.maxConcurrency,
      maxQueue: MODEL_DEFAULTS.maxQueue,
    },
    queueTimeoutMs: defaults.queueTimeoutMs.parse(undefined),
    '// listen': 'libp2p addresses. The default accepts nothing from outside; to be dialable too, listen on /ip4/0.0.0.0/tcp/4002 and announce your public address (/ip4/203.0.113.7/tcp/4002 or /dns4/gpu.example.org/tcp/4002).',
    listen: defaults.listen.parse(undefined),
    announce: [],
    '// ops': 'Local HTTP port with /health, Prometheus /metrics and /status; null is off. `provider-node status` works without it (through ops.sock in the data dir).',
    ops: { port: null, host: '127.0.0.1' },
    '// drainTimeoutMs': 'On SIGTERM the node stops offering, lets requests in flight finish for up to this long, then exits.',
    drainTimeoutMs: defaults.drainTimeoutMs.parse(undefined),
    logLevel: 'info',
    '// logContent': 'true logs prompts and completions. Leave it false except to debug: they are your clients\' data.',
    logContent: false,
  }
}
