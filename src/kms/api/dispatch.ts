/**
 * Routing, as Go's `http.ServeMux` does it for KES: exact routes and prefix routes (trailing
 * `/`), 301 to the canonical path for `//` and dot segments and for a prefix route asked without
 * its trailing slash (this is how `kes key ls` lists everything), and Go's plain-text
 * `404 page not found` for unknown paths (KES HEAD; we chose it over v0.22's 501 so that clients
 * probing for an API see what KES answers).
 *
 * Dot segments are judged on the raw path: `%2E%2E` is a resource (and then an invalid name,
 * 400), while a literal `/../` is path syntax and redirected.
 *
 * @module
 */
import type { KesRequest, KesResponse, Middleware, Next } from './http-types.js'
import { posix } from 'node:path'

/** A route table ready to dispatch: path → middleware chain (or, for policy explain, path → route). */
export interface RouteTable<T = Middleware[]> {
  exact: ReadonlyMap<string, T>
  /** Prefix routes, longest first. */
  prefixes: ReadonlyArray<readonly [string, T]>
}

/** makeRouteTable indexes chains (or any value) by route path. */
export function makeRouteTable<T = Middleware[]>(chains: Iterable<readonly [string, T]>): RouteTable<T> {
  const exact = new Map<string, T>()
  const prefixes: Array<[string, T]> = []
  for (const [path, chain] of chains) {
    if (path.endsWith('/')) prefixes.push([path, chain])
    else exact.set(path, chain)
  }
  prefixes.sort((a, b) => b[0].length - a[0].length)
  return { exact, prefixes }
}

/** What {@link lookupRoute} found: the entry, a redirect to the path with a trailing `/`, or nothing. */
export type Lookup<T> = { found: T } | { redirectSlash: true } | undefined

/**
 * lookupRoute finds the entry of decoded path `path`: exact routes first, then the longest prefix
 * route; a prefix route asked without its trailing slash is a redirect. Throws nothing.
 */
export function lookupRoute<T>(t: RouteTable<T>, path: string): Lookup<T> {
  const exact = t.exact.get(path)
  if (exact !== undefined) return { found: exact }
  for (const [prefix, c] of t.prefixes) {
    if (path.startsWith(prefix)) return { found: c }
    if (path === prefix.slice(0, -1)) return { redirectSlash: true }
  }
  return undefined
}

/** dispatcher returns the middleware that routes through the current table. Throws nothing. */
export function dispatcher(table: () => RouteTable): Middleware {
  return (req: KesRequest, res: KesResponse, next: Next): void => {
    if (req.url === '*') return asterisk(req, res)
    const url = originForm(req.url)
    const q = url.indexOf('?')
    const rawPath = q < 0 ? url : url.slice(0, q)
    const query = q < 0 ? '' : url.slice(q)
    let path: string
    try {
      path = decodeURIComponent(rawPath)
    } catch {
      plain(res, 400, '400 Bad Request')
      return
    }
    const clean = cleanPath(rawPath)
    if (clean !== rawPath) return redirect(req, res, clean + query)

    const found = lookupRoute(table(), path)
    if (found === undefined) {
      plain(res, 404, '404 page not found')
      return
    }
    if ('redirectSlash' in found) return redirect(req, res, rawPath + '/' + query)
    ;res.locals.kesPath = path
    runChain(found.found, req, res, next)
  }
}

/**
 * runChain runs middlewares in order; an error or the end of the chain goes to `done`.
 * A middleware that throws or rejects is treated like `next(err)`.
 */
export function runChain(chain: readonly Middleware[], req: KesRequest, res: KesResponse, done: (err?: unknown) => void): void {
  let i = 0
  const step = (err?: unknown): void => {
    if (err !== undefined && err !== null && err !== 'route') return done(err)
    const mw = chain[i++]
    if (mw === undefined) return done()
    try {
      const r: unknown = mw(req, res, step)
      if (r instanceof Promise) r.catch(step)
    } catch (e) {
      step(e)
    }
  }
  step()
}

/**
 * originForm is the path and query of a request target: an absolute-form target (`https://host/path`, which
 * HTTP/1.1 servers must accept) served as its path, as Go's server does. Throws nothing.
 */
function originForm(target: string): string {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(target)
  if (m === null) return target
  const rest = target.slice(m[0].length)
  return rest.startsWith('/') ? rest : '/' + rest
}

/** asterisk answers the `*` target as Go's server does: `OPTIONS *` 200, anything else 400 and close. */
function asterisk(req: KesRequest, res: KesResponse): void {
  if (req.method !== 'OPTIONS') res.shouldKeepAlive = false
  res.statusCode = req.method === 'OPTIONS' ? 200 : 400
  res.setHeader('Content-Length', '0')
  res.end()
}

/** cleanPath is Go's path.Clean keeping a trailing slash, as ServeMux does. Throws nothing. */
export function cleanPath(p: string): string {
  if (p === '') return '/'
  // Already clean (the usual case): no empty, '.' or '..' segment. Skips normalize per request.
  if (p.charCodeAt(0) === 47 && !p.includes('//') && !p.includes('/.')) return p
  const cleaned = posix.normalize(p.startsWith('/') ? p : '/' + p)
  const out = cleaned.length > 1 && cleaned.endsWith('/') ? cleaned.slice(0, -1) : cleaned
  return p.endsWith('/') && out !== '/' ? out + '/' : out
}

function redirect(req: KesRequest, res: KesResponse, location: string): void {
  res.statusCode = 301
  res.setHeader('Location', location)
  if (req.method === 'GET' || req.method === 'HEAD') {
    const body = `<a href="${location.replace(/[<>&"]/g, '')}">Moved Permanently</a>.\n\n`
    res.setHeader('Content-Type', 'text/html; charset=utf-8')
    res.setHeader('Content-Length', String(Buffer.byteLength(body)))
    res.end(body)
    return
  }
  res.setHeader('Content-Length', '0')
  res.end()
}

function plain(res: KesResponse, status: number, text: string): void {
  const body = text + '\n'
  res.statusCode = status
  res.setHeader('Content-Type', 'text/plain; charset=utf-8')
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.setHeader('Content-Length', String(Buffer.byteLength(body)))
  res.end(body)
}
