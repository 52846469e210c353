/**
 * The output shapes the `ls` and `info` commands share: a listing is a one-column table on a
 * terminal and a JSON array when piped; a description is aligned fields or the server's JSON.
 *
 * @module
 */
import type { KesClient } from '../../kes-client/index.js'
import { CLIENT_FLAGS, JSON_FLAG, type Command } from '../args.js'
import type { Output } from '../output.js'
import { terminalText } from '../../lib/terminal-text.js'
import { collect, failedTo } from './common.js'

/** printNames prints a listing: JSON when piped, else a table under `header` (nothing for no names). Never throws. */
export function printNames(out: Output, header: string, names: string[]): void {
  if (out.json) out.printJson(names)
  else if (names.length > 0) out.printTable([header], names.map((n) => [n]))
}

/** A policy's rules: allow and deny API path patterns. */
export interface Rules {
  allow?: Record<string, unknown>
  deny?: Record<string, unknown>
}

/**
 * printRecord prints what the server described: its JSON as is when piped, else `fields` and then,
 * when given, the allow and deny patterns of `rules`. Never throws.
 */
export function printRecord(out: Output, record: unknown, fields: Array<[label: string, value: string | undefined]>, rules?: Rules): void {
  if (out.json) {
    out.printJson(record)
    return
  }
  out.printFields(fields)
  if (rules !== undefined) printRules(out, rules)
}

function printRules(out: Output, rules: Rules): void {
  for (const [label, set] of [['Allow', rules.allow], ['Deny', rules.deny]] as const) {
    const patterns = Object.keys(set ?? {})
    // The patterns are the server's text, one per line: each escaped on its own.
    if (patterns.length > 0) out.print(`${label}\n${patterns.map((p) => `  · ${terminalText(p)}`).join('\n')}`)
  }
}

/** What a listing command lists and how it reads. */
export interface ListSpec {
  summary: string
  examples: string[]
  details?: string
  /** The table's one column, e.g. `Key`. */
  header: string
  /** For KES's error wording `failed to list <what>: …`; without it the client's error shows as is. */
  what?: string
  list(client: KesClient, pattern: string): AsyncIterable<string>
}

/** listCommand builds an `ls <pattern>` command from a {@link ListSpec}; its run throws CliError when listing fails. */
export function listCommand(spec: ListSpec): Command {
  return {
    name: 'ls',
    summary: spec.summary,
    synopsis: '[<pattern>]',
    args: { min: 0, max: 1 },
    flags: [...CLIENT_FLAGS, JSON_FLAG],
    ...(spec.details !== undefined ? { details: spec.details } : {}),
    examples: spec.examples,
    async run(ctx) {
      const client = await ctx.client()
      const names = spec.what === undefined
        ? await collect(spec.list(client, ctx.args[0] ?? '*'))
        : await failedTo(`list ${spec.what}`, () => collect(spec.list(client, ctx.args[0] ?? '*')))
      printNames(ctx.out, spec.header, names)
    },
  }
}
