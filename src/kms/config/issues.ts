/**
 * Turns zod issues into `kesconf:` messages that name the field and its YAML line.
 *
 * @module
 */
import type { z } from 'zod'
import { ConfigError, lineAt, type YamlSource } from './source.js'

/** schemaError builds one ConfigError listing every issue (at most five) with field and line. */
export function schemaError(src: YamlSource, error: z.ZodError): ConfigError {
  const lines = error.issues.slice(0, 5).map((issue) => {
    let path: PropertyKey[] = issue.path
    let message = issue.message
    if (issue.code === 'unrecognized_keys') {
      path = [...issue.path, issue.keys[0] ?? '']
      message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`
    } else if (issue.code === 'invalid_type' && !src.doc.hasIn(issue.path.map(String))) {
      message = 'missing required field'
    } else if (issue.code === 'invalid_type') {
      message = `expected ${issue.expected}`
    }
    const field = path.map(String).join('.') || '(top level)'
    return `kesconf: ${src.file}:${lineAt(src, path)}: ${field}: ${message}`
  })
  return new ConfigError(lines.join('\n'))
}
