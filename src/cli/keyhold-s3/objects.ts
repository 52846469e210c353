/**
 * Everyday object work against an alias, in mc's shapes, so an operator can check a bucket without another
 * client: `ls`, `mb`, `rb`, `rm`, `cat` and `cp` (local file ↔ object, streamed, with a progress bar on
 * stderr for copies of 8 MiB and more). `stat` lives in stat.ts.
 *
 * @module
 */
import { createReadStream, createWriteStream, renameSync, rmSync, statSync } from 'node:fs'
import { basename } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { errorText, findAlias, signedRequest, splitTarget, type CliIo } from './alias.js'
import { PROGRESS_MIN_BYTES, progressBar, readAll, streamRequest } from './transfer.js'
import { CliError } from '../errors.js'
import { terminalText } from '../../lib/terminal-text.js'

/** S3's single-PUT limit: larger copies would need a multipart upload, which `cp` does not do (yet). */
const MAX_SINGLE_PUT = 5 * 1024 ** 3

const unescapeXml = (s: string): string =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&#(\d+);/g, (_m, d: string) => String.fromCodePoint(Number(d))).replace(/&amp;/g, '&')

const tag = (xml: string, name: string): string[] =>
  [...xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g'))].map((m) => unescapeXml(m[1]!))

function humanSize(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return i === 0 ? `${v}B` : `${v.toFixed(1)}${units[i]}`
}

const stamp = (iso: string): string => `[${iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '')} UTC]`

function flags(args: string[]): { insecure: boolean; rest: string[] } {
  return { insecure: args.includes('--insecure'), rest: args.filter((a) => a !== '--insecure') }
}

async function ls(args: string[], io: CliIo): Promise<void> {
  const { insecure, rest } = flags(args)
  if (rest.length !== 1) throw new CliError('Usage: keyhold-s3 ls ALIAS[/BUCKET[/PREFIX]]')
  const { alias: name, bucket, object: prefix } = splitTarget(rest[0]!)
  const alias = findAlias(io.env, name)
  if (bucket === '') {
    const res = await signedRequest(alias, 'GET', '/', [], Buffer.alloc(0), insecure)
    if (res.status !== 200) throw new CliError(`keyhold-s3: <ERROR> Unable to list buckets. ${errorText(res)}`)
    const xml = res.body.toString('utf8')
    const names = tag(xml, 'Name')
    const dates = tag(xml, 'CreationDate')
    // Names, dates and keys are the server's text, and an object key may hold any character: each line is escaped.
    names.forEach((n, i) => io.stdout(terminalText(`${stamp(dates[i] ?? '')}     0B ${n}/`) + '\n'))
    return
  }
  let token: string | undefined
  do {
    const query: Array<[string, string]> = [['list-type', '2'], ['delimiter', '/'], ['prefix', prefix]]
    if (token !== undefined) query.push(['continuation-token', token])
    const res = await signedRequest(alias, 'GET', `/${bucket}/`, query, Buffer.alloc(0), insecure)
    if (res.status !== 200) throw new CliError(`keyhold-s3: <ERROR> Unable to list \`${rest[0]}\`. ${errorText(res)}`)
    const xml = res.body.toString('utf8')
    for (const p of tag(xml, 'CommonPrefixes').flatMap((c) => tag(c, 'Prefix'))) io.stdout(terminalText(`${' '.repeat(24)}     0B ${p.slice(prefix.length)}`) + '\n')
    for (const c of tag(xml, 'Contents')) {
      const key = tag(c, 'Key')[0] ?? ''
      io.stdout(terminalText(`${stamp(tag(c, 'LastModified')[0] ?? '')} ${humanSize(Number(tag(c, 'Size')[0] ?? 0)).padStart(6)} STANDARD ${key.slice(prefix.length)}`) + '\n')
    }
    token = tag(xml, 'IsTruncated')[0] === 'true' ? tag(xml, 'NextContinuationToken')[0] : undefined
  } while (token !== undefined)
}

async function simple(op: 'mb' | 'rb' | 'rm', args: string[], io: CliIo): Promise<void> {
  const { insecure, rest } = flags(args)
  if (rest.length !== 1) throw new CliError(`Usage: keyhold-s3 ${op} ALIAS/BUCKET${op === 'rm' ? '/OBJECT' : ''}`)
  const { alias, bucket, object } = splitTarget(rest[0]!)
  if (bucket === '' || (op === 'rm') !== (object !== '')) throw new CliError(`keyhold-s3: <ERROR> \`${rest[0]}\` is not a valid ${op === 'rm' ? 'object' : 'bucket'} path.`)
  const method = op === 'mb' ? 'PUT' : 'DELETE'
  const res = await signedRequest(findAlias(io.env, alias), method, op === 'rm' ? `/${bucket}/${object}` : `/${bucket}`, [], Buffer.alloc(0), insecure)
  if (res.status >= 300) {
    const what = op === 'mb' ? 'Unable to make bucket' : op === 'rb' ? 'Unable to remove bucket' : 'Failed to remove'
    throw new CliError(`keyhold-s3: <ERROR> ${what} \`${rest[0]}\`. ${errorText(res)}`)
  }
  io.stdout(op === 'mb' ? `Bucket created successfully \`${rest[0]}\`.\n` : op === 'rb' ? `Removed \`${rest[0]}\` successfully.\n` : `Removed \`${rest[0]}\`.\n`)
}

async function cat(args: string[], io: CliIo): Promise<void> {
  const { insecure, rest } = flags(args)
  if (rest.length !== 1) throw new CliError('Usage: keyhold-s3 cat ALIAS/BUCKET/OBJECT')
  const { alias, bucket, object } = splitTarget(rest[0]!)
  const res = await streamRequest(findAlias(io.env, alias), 'GET', `/${bucket}/${object}`, { insecure })
  if (res.statusCode !== 200) {
    throw new CliError(`keyhold-s3: <ERROR> Unable to read from \`${rest[0]}\`. ${errorText({ status: res.statusCode ?? 0, headers: res.headers, body: await readAll(res) })}`)
  }
  // Raw bytes: the process's stdout takes Buffers as they are (a binary object must not be re-encoded).
  const write = io.stdout as (chunk: string | Buffer) => void
  for await (const chunk of res) write(chunk as Buffer)
}

/** counting passes bytes through and reports the running total. */
function counting(report: (done: number) => void): Transform {
  let done = 0
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      done += chunk.length
      report(done)
      cb(null, chunk)
    },
  })
}

async function cp(args: string[], io: CliIo): Promise<void> {
  const { insecure, rest } = flags(args)
  const quiet = rest.includes('--quiet')
  const [from, to, ...extra] = rest.filter((a) => a !== '--quiet')
  if (from === undefined || to === undefined || extra.length > 0) throw new CliError('Usage: keyhold-s3 cp [--quiet] SOURCE TARGET (a local file and ALIAS/BUCKET/OBJECT, either way)')
  const remote = (p: string): boolean => !p.startsWith('/') && !p.startsWith('.') && p.includes('/') && findAliasOrUndefined(io.env, p.split('/')[0]!)
  if (remote(to) && !remote(from)) {
    const size = statSync(from).size
    if (size > MAX_SINGLE_PUT) throw new CliError('keyhold-s3: <ERROR> Files over 5 GiB need a multipart upload, which `cp` does not do yet: use the aws CLI.')
    const { alias, bucket, object } = splitTarget(to)
    const key = object === '' || object.endsWith('/') ? `${object}${basename(from)}` : object
    const bar = !quiet && size >= PROGRESS_MIN_BYTES ? progressBar(`${basename(from)} →`, size, io.stderr) : undefined
    const body = createReadStream(from).pipe(counting((d) => bar?.(d)))
    const res = await streamRequest(findAlias(io.env, alias), 'PUT', `/${bucket}/${key}`, { body, length: size, insecure })
    const answer = await readAll(res)
    if (res.statusCode !== 200) throw new CliError(`keyhold-s3: <ERROR> Failed to copy \`${from}\`. ${errorText({ status: res.statusCode ?? 0, headers: res.headers, body: answer })}`)
    bar?.(size, true)
    return
  }
  if (remote(from) && !remote(to)) {
    const { alias, bucket, object } = splitTarget(from)
    const res = await streamRequest(findAlias(io.env, alias), 'GET', `/${bucket}/${object}`, { insecure })
    if (res.statusCode !== 200) {
      throw new CliError(`keyhold-s3: <ERROR> Unable to read from \`${from}\`. ${errorText({ status: res.statusCode ?? 0, headers: res.headers, body: await readAll(res) })}`)
    }
    const size = Number(res.headers['content-length'] ?? 0)
    const bar = !quiet && size >= PROGRESS_MIN_BYTES ? progressBar(`→ ${basename(to)}`, size, io.stderr) : undefined
    // Written beside the target and renamed when whole: an interrupted copy leaves no half-written file.
    const part = `${to}.keyhold-s3-part`
    try {
      await pipeline(res, counting((d) => bar?.(d)), createWriteStream(part, { mode: 0o644 }))
      renameSync(part, to)
    } catch (err) {
      rmSync(part, { force: true })
      throw new CliError(`keyhold-s3: <ERROR> Failed to copy \`${from}\`. ${(err as Error).message}`)
    }
    bar?.(size, true)
    return
  }
  throw new CliError('keyhold-s3: <ERROR> `cp` copies between a local file and ALIAS/BUCKET/OBJECT.')
}

function findAliasOrUndefined(env: NodeJS.ProcessEnv, name: string): boolean {
  try {
    findAlias(env, name)
    return true
  } catch {
    return false
  }
}

/** objectCommand returns the runner of `ls`, `mb`, `rb`, `rm`, `cat` or `cp`; each resolves the exit code. */
export function objectCommand(op: 'ls' | 'mb' | 'rb' | 'rm' | 'cat' | 'cp'): (args: string[], io: CliIo) => Promise<number> {
  return async (args, io) => {
    try {
      if (op === 'ls') await ls(args, io)
      else if (op === 'cat') await cat(args, io)
      else if (op === 'cp') await cp(args, io)
      else await simple(op, args, io)
      return 0
    } catch (err) {
      // Error messages quote the server's answer: escaped.
      io.stderr(`${terminalText((err as Error).message)}\n`)
      return 1
    }
  }
}
