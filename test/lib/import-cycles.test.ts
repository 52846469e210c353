import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

/*
 * No import circles in src/ and backends/ (issue 13 step 6).
 *
 * A run-time edge is a relative static `import … from`, bare `import '…'` or `export … from` that survives
 * compilation. `import type` / `export type … from` are erased (tsconfig has verbatimModuleSyntax), so they
 * load nothing and cannot make a module see another half-initialised. An `import { type A }` with only type
 * specifiers is kept as `import {} from` under verbatimModuleSyntax and still loads the module, so it is a
 * run-time edge. Dynamic `import()` runs after every module has finished loading: never an edge.
 *
 * Two checks. Run-time circles are bugs waiting for an evaluation order (a class used before its module
 * finished). Circles that need type-only imports to close are not, but they mean two modules each own part
 * of the other's contract (a config type borrowing a parser's return type, encodings importing the module
 * that calls them): the circles were mostly of this kind, so they are kept out too.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

/** The files `file` imports (at run time only, or with type-only imports too), relative to the repository. */
function relativeImports(file: string, typeOnlyToo: boolean): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false)
  const targets: string[] = []
  for (const statement of source.statements) {
    let specifier: ts.Expression | undefined
    if (ts.isImportDeclaration(statement)) {
      if (statement.importClause?.isTypeOnly === true && !typeOnlyToo) continue
      specifier = statement.moduleSpecifier
    } else if (ts.isExportDeclaration(statement)) {
      if (statement.isTypeOnly && !typeOnlyToo) continue
      specifier = statement.moduleSpecifier
    }
    if (specifier == null || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) continue
    targets.push(relative(root, resolve(dirname(file), specifier.text.replace(/\.js$/, '.ts'))))
  }
  return targets
}

/** Strongly connected components of more than one file (or a file importing itself), each as one circle. */
function importCircles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const components: string[][] = []
  let next = 0
  const visit = (node: string): void => {
    index.set(node, next)
    low.set(node, next++)
    stack.push(node)
    onStack.add(node)
    for (const to of graph.get(node) ?? []) {
      if (!graph.has(to)) continue
      if (!index.has(to)) {
        visit(to)
        low.set(node, Math.min(low.get(node)!, low.get(to)!))
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node)!, index.get(to)!))
      }
    }
    if (low.get(node) !== index.get(node)) return
    const component: string[] = []
    let member: string
    do {
      member = stack.pop()!
      onStack.delete(member)
      component.push(member)
    } while (member !== node)
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) components.push(component.sort())
  }
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node)
  return components.map((component) => shortestCircle(graph, component))
}

/** One concrete circle through the first file of a component, for a readable failure message. */
function shortestCircle(graph: Map<string, string[]>, component: string[]): string[] {
  const members = new Set(component)
  const start = component[0]!
  const previous = new Map<string, string>()
  const queue = [start]
  while (queue.length > 0) {
    const node = queue.shift()!
    for (const to of graph.get(node) ?? []) {
      if (!members.has(to)) continue
      if (to === start) {
        const path = [node]
        while (path[0] !== start) path.unshift(previous.get(path[0]!)!)
        return [...path, start]
      }
      if (!previous.has(to)) {
        previous.set(to, node)
        queue.push(to)
      }
    }
  }
  return component
}

function circlesIn(typeOnlyToo: boolean): string[] {
  const files = [...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'backends'))]
  const graph = new Map(files.map((file) => [relative(root, file), relativeImports(file, typeOnlyToo)]))
  return importCircles(graph).map((circle) => circle.join(' -> '))
}

describe('import graph of src/ and backends/', () => {
  it('has no circles of run-time imports', () => {
    expect(circlesIn(false)).toEqual([])
  })

  it('has no circles even counting type-only imports', () => {
    expect(circlesIn(true)).toEqual([])
  })
})
