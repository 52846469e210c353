/**
 * The YAML layer of config loading: parse with line numbers, substitute `${VAR}` whole values
 * from the environment (KES `env[T]`), and find the line of a field for error messages.
 *
 * @module
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml'

/** ConfigError: the config (or policy file) is invalid. The message starts with `kesconf:`. */
export class ConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message.startsWith('kesconf:') ? message : `kesconf: ${message}`, options)
    this.name = 'ConfigError'
  }
}

/** A parsed YAML file with its line table. */
export interface YamlSource {
  doc: Document
  lines: LineCounter
  file: string
}

const ENV_REF = /^\s*\$\{([A-Za-z_][A-Za-z0-9_]*)\}\s*$/

/**
 * parseYaml parses `text`, then replaces every string scalar that is exactly `${NAME}` with the
 * value of that environment variable. Paths for which `skip(path)` is true are left alone
 * (policy patterns, `version`). Throws ConfigError on YAML syntax errors and on an unset variable,
 * naming the variable and its line.
 */
export function parseYaml(text: string, file: string, env: NodeJS.ProcessEnv, skip: (path: string[]) => boolean): YamlSource {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true })
  const first = doc.errors[0]
  if (first !== undefined) throw new ConfigError(yamlErrorMessage(file, first.message, first.linePos?.[0]))
  const walk = (node: unknown, path: string[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
        // Read into a JavaScript object, this key would set the object's prototype instead of adding an entry:
        // a policy so named silently vanished, and its identities lost their access without a word.
        if (key === '__proto__') throw new ConfigError(`${file}:${lineOf(lines, pair.key as Node)}: '__proto__' cannot be used as a name`)
        walk(pair.value, [...path, key])
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...path, String(i)]))
    } else if (isScalar(node) && typeof node.value === 'string' && !skip(path)) {
      const m = ENV_REF.exec(node.value)
      if (m === null) return
      const value = env[m[1]!]
      if (value === undefined) {
        // KES's text, after the file and line: the same config is often split over a config and a policy file.
        const line = lineOf(lines, node)
        throw new ConfigError(`${file}:${line}: referenced env. variable '${m[1]}' in line '${line}' not found`)
      }
      node.value = value
    }
  }
  walk(doc.contents, [])
  return { doc, lines, file }
}

/**
 * yamlValue is the parsed document as plain data. Throws ConfigError naming the file when the document cannot
 * be turned into data (the yaml library refuses alias expansion past its limit: a "billion laughs" bomb).
 */
export function yamlValue(src: YamlSource): unknown {
  try {
    return src.doc.toJS() as unknown
  } catch (err) {
    throw new ConfigError(`${src.file}: invalid YAML: ${(err as Error).message}`)
  }
}

/**
 * yamlErrorMessage renders a YAML syntax error as `FILE:LINE:COLUMN: invalid YAML: WHAT`, followed by the
 * offending lines with a caret under the column (the yaml library's own excerpt, indented).
 */
function yamlErrorMessage(file: string, message: string, pos: { line: number; col: number } | undefined): string {
  // The library's pretty message is "WHAT at line L, column C:\n\n<excerpt with a caret>\n".
  const m = /^([\s\S]*?) at line \d+, column \d+:\n\n([\s\S]*?)\n*$/.exec(message)
  const what = m?.[1] ?? message.split('\n')[0] ?? ''
  const excerpt = m?.[2] === undefined ? '' : '\n' + m[2].split('\n').map((l) => `    ${l}`).join('\n')
  const where = pos === undefined ? file : `${file}:${pos.line}:${pos.col}`
  return `${where}: invalid YAML: ${what}${excerpt}`
}

function lineOf(lines: LineCounter, node: Node): number {
  return node.range === undefined || node.range === null ? 0 : lines.linePos(node.range[0]).line
}

/**
 * lineAt returns the line of the field at `path` (its key, where the field is a mapping entry),
 * or of its closest existing ancestor.
 */
export function lineAt(src: YamlSource, path: readonly PropertyKey[]): number {
  if (path.length > 0) {
    const parent = src.doc.getIn(path.slice(0, -1).map(String), true)
    const last = String(path[path.length - 1])
    if (isMap(parent)) {
      const pair = parent.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === last)
      if (pair !== undefined && isScalar(pair.key)) return lineOf(src.lines, pair.key)
    }
  }
  for (let n = path.length; n >= 0; n--) {
    const node = src.doc.getIn(path.slice(0, n).map(String), true) as Node | undefined
    if (node !== undefined && node !== null && typeof node === 'object' && 'range' in node) return lineOf(src.lines, node)
  }
  return 1
}
