/**
 * Validates values against OpenAI's own OpenAPI 3.1 spec, so tests can prove that what we
 * (or our mock upstream) send is what the OpenAI SDKs expect, rather than what our zod
 * schemas happen to say.
 */
import { readFileSync } from 'node:fs'
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js'
import { z } from 'zod'

/**
 * A committed copy of OpenAI's spec (`../shared/reference/openai-openapi.json` beside the
 * project), so the suite runs on any clean checkout; a test checks the two stay equal.
 */
export const SPEC_URL = new URL('./reference/openai-openapi.json', import.meta.url)
/** Where the team keeps the reference spec, beside the project. */
export const SHARED_SPEC_URL = new URL('../../../shared/reference/openai-openapi.json', import.meta.url)
/** `$id` the spec's components are registered under; refs inside resolve against it. */
const SPEC_ID = 'https://agora.invalid/openai-openapi.json'

/** A JSON Schema (or OpenAPI Schema Object) in its object form. */
export type SchemaObject = { [keyword: string]: unknown }

/** Outcome of {@link validateAgainstOpenAI}: `errors` is empty exactly when `valid`. */
export interface SpecValidationResult {
  valid: boolean
  /** One line per problem: JSON pointer of the offending value, then what is wrong. */
  errors: string[]
}

const OpenAPIDocument = z.looseObject({
  openapi: z.string().startsWith('3.'),
  components: z.looseObject({ schemas: z.record(z.string(), z.record(z.string(), z.unknown())) }),
})

// Where a schema nests other schemas; only these are walked, so a property that happens to be
// called `nullable` or `example` is left alone.
const SCHEMA_KEYWORDS = new Set([
  'items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames',
  'unevaluatedProperties', 'unevaluatedItems',
])
const SCHEMA_LIST_KEYWORDS = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems'])
const SCHEMA_MAP_KEYWORDS = new Set(['properties', 'patternProperties', '$defs', 'dependentSchemas'])
// OpenAPI annotations that never constrain a value and that JSON Schema 2020-12 does not define.
const OPENAPI_ONLY_KEYWORDS = new Set(['nullable', 'discriminator', 'example', 'xml', 'externalDocs'])
const ANNOTATION_KEYWORDS = new Set(['title', 'description', 'default', 'deprecated', 'examples', 'example'])
// Beside these, `null` cannot be added to `type`: the sub-schemas would still reject it.
const COMPOSITION_KEYWORDS = ['$ref', 'allOf', 'anyOf', 'oneOf', 'not', 'const']
const EXCLUSIVE_BOUNDS = [['minimum', 'exclusiveMinimum'], ['maximum', 'exclusiveMaximum']] as const
// Misspellings in the spec (`min_items` on a number, `optional`); no dialect gives them meaning,
// so they are declared as inert keywords rather than failing strict mode.
const SPEC_TYPO_KEYWORDS = ['min_items', 'max_items', 'optional']

const isSchemaObject = (value: unknown): value is SchemaObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const isOpenAPIOnly = (keyword: string) => keyword.startsWith('x-') || OPENAPI_ONLY_KEYWORDS.has(keyword)

/** `{ nullable: true }` alone in an `allOf`: OpenAPI 3.0's way to make the whole `allOf` nullable. */
const isNullableMarker = (schema: unknown) =>
  isSchemaObject(schema) &&
  schema.nullable === true &&
  Object.keys(schema).every((keyword) => isOpenAPIOnly(keyword) || ANNOTATION_KEYWORDS.has(keyword))

function allowNull(schema: SchemaObject): SchemaObject {
  if (COMPOSITION_KEYWORDS.some((keyword) => keyword in schema)) return { anyOf: [schema, { type: 'null' }] }
  const widened: SchemaObject = { ...schema }
  const { type } = schema
  if (typeof type === 'string') widened.type = [type, 'null']
  else if (Array.isArray(type) && !type.includes('null')) widened.type = [...type, 'null']
  if (Array.isArray(schema.enum) && !schema.enum.includes(null)) widened.enum = [...schema.enum, null]
  return widened
}

/**
 * Translates one OpenAPI 3.0/3.1 Schema Object into plain JSON Schema 2020-12: `nullable: true`
 * becomes a `null` member of `type` (and of `enum`), or an `anyOf` with `{ type: 'null' }` when
 * it sits beside `$ref`/`allOf`/`anyOf`/`oneOf`/`not`/`const`; an `allOf` member that is only
 * `{ nullable: true }` makes the whole schema nullable; `x-*`, `discriminator`, `example`, `xml`
 * and `externalDocs` are dropped; 3.0's boolean `exclusiveMinimum`/`exclusiveMaximum` become the
 * numeric 2020-12 form. Input is not modified.
 *
 * @example
 * openAPISchemaToJsonSchema({ type: 'string', enum: ['a'], nullable: true })
 * // { type: ['string', 'null'], enum: ['a', null] }
 */
export function openAPISchemaToJsonSchema(schema: unknown): unknown {
  if (!isSchemaObject(schema)) return schema
  const translated: SchemaObject = {}
  let nullable = schema.nullable === true
  for (const [keyword, value] of Object.entries(schema)) {
    if (isOpenAPIOnly(keyword)) continue
    if (keyword === 'allOf' && Array.isArray(value) && value.some(isNullableMarker)) {
      nullable = true
      const rest = value.filter((member) => !isNullableMarker(member))
      if (rest.length > 0) translated.allOf = rest.map(openAPISchemaToJsonSchema)
    } else if (SCHEMA_LIST_KEYWORDS.has(keyword) && Array.isArray(value)) {
      translated[keyword] = value.map(openAPISchemaToJsonSchema)
    } else if (SCHEMA_MAP_KEYWORDS.has(keyword) && isSchemaObject(value)) {
      translated[keyword] = Object.fromEntries(
        Object.entries(value).map(([name, member]) => [name, openAPISchemaToJsonSchema(member)]),
      )
    } else if (SCHEMA_KEYWORDS.has(keyword)) {
      translated[keyword] = openAPISchemaToJsonSchema(value)
    } else {
      translated[keyword] = value
    }
  }
  // OpenAPI 3.0 wrote exclusive bounds as a boolean flag on `minimum`/`maximum`.
  for (const [bound, exclusiveBound] of EXCLUSIVE_BOUNDS) {
    if (typeof translated[exclusiveBound] !== 'boolean') continue
    if (translated[exclusiveBound] === true && typeof translated[bound] === 'number') {
      translated[exclusiveBound] = translated[bound]
      delete translated[bound]
    } else {
      delete translated[exclusiveBound]
    }
  }
  return nullable ? allowNull(translated) : translated
}

// JSON Schema leaves unknown formats to the validator; these are the ones the spec uses.
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/
function isIsoDate(value: string): boolean {
  const match = ISO_DATE.exec(value)
  if (!match) return false
  const [year, month, day] = match.slice(1).map(Number) as [number, number, number]
  const date = new Date(Date.UTC(year, month - 1, day))
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}

function createValidatorFactory(): Ajv2020 {
  const document = OpenAPIDocument.parse(JSON.parse(readFileSync(SPEC_URL, 'utf8')))
  const schemas = Object.fromEntries(
    Object.entries(document.components.schemas).map(([name, schema]) => [name, openAPISchemaToJsonSchema(schema)]),
  )
  // Unknown keywords still fail compilation, so a spec update that brings a new OpenAPI-only
  // keyword is noticed instead of silently ignored. strictTypes is off because the spec often
  // gives `properties` or `enum` without a `type`, which is valid JSON Schema.
  const ajv = new Ajv2020({ allErrors: true, strictSchema: true, strictTypes: false, strictTuples: false, allowUnionTypes: true })
  ajv.addFormat('unixtime', { type: 'number', validate: (seconds: number) => Number.isInteger(seconds) && seconds >= 0 })
  ajv.addFormat('int64', { type: 'number', validate: Number.isInteger })
  ajv.addFormat('float', { type: 'number', validate: Number.isFinite })
  ajv.addFormat('double', { type: 'number', validate: Number.isFinite })
  ajv.addFormat('uri', { type: 'string', validate: (uri: string) => URL.canParse(uri) })
  ajv.addFormat('date', { type: 'string', validate: isIsoDate })
  // Multipart file uploads; in JSON there is nothing to check.
  ajv.addFormat('binary', true)
  // The root only gives `#/components/schemas/X` a document to resolve in; declaring
  // `components` as a keyword keeps strict mode from rejecting that root when ajv compiles it.
  ajv.addKeyword({ keyword: 'components', schemaType: 'object' })
  for (const keyword of SPEC_TYPO_KEYWORDS) ajv.addKeyword(keyword)
  ajv.addSchema({ $id: SPEC_ID, components: { schemas } })
  return ajv
}

let ajv: Ajv2020 | undefined
const validators = new Map<string, ValidateFunction>()

function validatorFor(schemaName: string): ValidateFunction {
  const cached = validators.get(schemaName)
  if (cached) return cached
  ajv ??= createValidatorFactory()
  const validate = ajv.getSchema(`${SPEC_ID}#/components/schemas/${schemaName}`)
  if (!validate) throw new Error(`OpenAI's spec has no component schema named "${schemaName}"`)
  validators.set(schemaName, validate)
  return validate
}

function describeError({ instancePath, message, keyword, params }: ErrorObject): string {
  const where = instancePath === '' ? '(root)' : instancePath
  const allowed: unknown = keyword === 'enum' ? params.allowedValues : undefined
  return `${where} ${message ?? keyword}${Array.isArray(allowed) ? `: ${allowed.map((v) => JSON.stringify(v)).join(', ')}` : ''}`
}

/**
 * Validates `value` against `#/components/schemas/<schemaName>` of OpenAI's OpenAPI spec
 * (`shared/reference/openai-openapi.json`). The spec is loaded and translated on first use and
 * each schema's validator is compiled once. Throws if the spec has no schema of that name.
 *
 * @example
 * const { valid, errors } = validateAgainstOpenAI('CreateChatCompletionResponse', await res.json())
 * expect(errors).toEqual([])
 */
export function validateAgainstOpenAI(schemaName: string, value: unknown): SpecValidationResult {
  const validate = validatorFor(schemaName)
  if (validate(value)) return { valid: true, errors: [] }
  return { valid: false, errors: (validate.errors ?? []).map(describeError) }
}
