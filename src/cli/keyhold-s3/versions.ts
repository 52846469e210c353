/**
 * `keyhold-s3 version enable|suspend|info ALIAS/BUCKET` (as `mc version`) and
 * `keyhold-s3 ls --versions [--json] ALIAS/BUCKET[/PREFIX]` (as `mc ls --versions`: every version and delete
 * marker, newest first per key, numbered v1 (oldest) up).
 *
 * @module
 */
import { errorText, findAlias, signedRequest, splitTarget, type Alias, type CliIo } from './alias.js'
import { CliError } from '../errors.js'
import { terminalJson, terminalText } from '../../lib/terminal-text.js'

/** One listed version or delete marker. */
interface ListedVersion {
  key: string
  versionId: string
  isLatest: boolean
  lastModified: string
  size: number
  deleteMarker: boolean
}

const MAX_PAGES = 10_000

function unescapeXml(s: string): string {
  return s.replace(/&(lt|gt|quot|apos|amp|#x[0-9a-f]+|#\d+);/gi, (_m, e: string) => {
    const named: Record<string, string> = { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' }
    if (named[e] !== undefined) return named[e]
    return String.fromCodePoint(e.startsWith('#x') ? parseInt(e.slice(2), 16) : Number(e.slice(1)))
  })
}

function field(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)
  return m === null ? undefined : unescapeXml(m[1]!)
}

/** parseVersionsPage reads one ListVersionsResult in document order (versions and markers interleaved). */
function parseVersionsPage(xml: string): { versions: ListedVersion[]; next?: [string, string] } {
  const versions: ListedVersion[] = []
  for (const m of xml.matchAll(/<(Version|DeleteMarker)>([\s\S]*?)<\/\1>/g)) {
    const body = m[2]!
    versions.push({
      key: field(body, 'Key') ?? '', versionId: field(body, 'VersionId') ?? 'null', isLatest: field(body, 'IsLatest') === 'true',
      lastModified: field(body, 'LastModified') ?? '', size: Number(field(body, 'Size') ?? 0), deleteMarker: m[1] === 'DeleteMarker',
    })
  }
  const truncated = field(xml, 'IsTruncated') === 'true'
  return { versions, next: truncated ? [field(xml, 'NextKeyMarker') ?? '', field(xml, 'NextVersionIdMarker') ?? ''] : undefined }
}

async function listAllVersions(alias: Alias, bucket: string, prefix: string, insecure: boolean): Promise<ListedVersion[]> {
  const all: ListedVersion[] = []
  let marker: [string, string] | undefined
  for (let page = 0; page < MAX_PAGES; page++) {
    const query: Array<[string, string]> = [['versions', ''], ['prefix', prefix]]
    if (marker !== undefined) query.push(['key-marker', marker[0]], ['version-id-marker', marker[1]])
    const res = await signedRequest(alias, 'GET', `/${bucket}`, query, Buffer.alloc(0), insecure)
    if (res.status !== 200) throw new CliError(`mc: <ERROR> Unable to list versions of \`${bucket}\`. ${errorText(res)}`)
    const { versions, next } = parseVersionsPage(res.body.toString('utf8'))
    all.push(...versions)
    if (next === undefined) return all
    marker = next
  }
  throw new CliError('mc: <ERROR> Too many pages of versions.')
}

function formatLine(v: ListedVersion, n: number): string {
  const when = v.lastModified.replace('T', ' ').replace(/\.\d+Z$/, ' UTC').replace(/Z$/, ' UTC')
  return `[${when}] ${`${v.size}B`.padStart(7)} STANDARD ${v.versionId} v${n} ${v.deleteMarker ? 'DEL' : 'PUT'} ${v.key}`
}

/** lsCommand runs `ls --versions [--json] [--insecure] ALIAS/BUCKET[/PREFIX]`; returns the exit code. */
export async function lsCommand(args: string[], io: CliIo): Promise<number> {
  const targets = args.filter((a) => !a.startsWith('--'))
  if (!args.includes('--versions') || targets.length !== 1) {
    io.stderr('Usage: keyhold-s3 ls --versions [--json] ALIAS/BUCKET[/PREFIX]\n')
    return 1
  }
  const { alias, bucket, object } = splitTarget(targets[0]!)
  try {
    if (bucket === '') throw new CliError('mc: <ERROR> A bucket path ALIAS/BUCKET is required.')
    const versions = await listAllVersions(findAlias(io.env, alias), bucket, object, args.includes('--insecure'))
    // Versions of a key arrive newest first: number them from the oldest.
    const counts = new Map<string, number>()
    for (const v of versions) counts.set(v.key, (counts.get(v.key) ?? 0) + 1)
    const seen = new Map<string, number>()
    for (const v of versions) {
      const n = (counts.get(v.key) ?? 0) - (seen.get(v.key) ?? 0)
      seen.set(v.key, (seen.get(v.key) ?? 0) + 1)
      if (args.includes('--json')) {
        io.stdout(terminalJson({
          status: 'success', type: 'file', lastModified: v.lastModified, size: v.size, key: v.key, versionId: v.versionId,
          versionOrdinal: n, isLatest: v.isLatest, isDeleteMarker: v.deleteMarker,
        }) + '\n')
      } else {
        // Keys, version ids and times are the server's text: the line is escaped.
        io.stdout(terminalText(formatLine(v, n)) + '\n')
      }
    }
    return 0
  } catch (err) {
    io.stderr(`${terminalText((err as Error).message)}\n`)
    return 1
  }
}

/** versionCommand runs `version enable|suspend|info ALIAS/BUCKET`; returns the exit code. */
export async function versionCommand(args: string[], io: CliIo): Promise<number> {
  const [action, target] = args.filter((a) => !a.startsWith('--'))
  if ((action !== 'enable' && action !== 'suspend' && action !== 'info') || target === undefined) {
    io.stderr('Usage: keyhold-s3 version enable|suspend|info ALIAS/BUCKET\n')
    return 1
  }
  const { alias, bucket } = splitTarget(target)
  const insecure = args.includes('--insecure')
  try {
    if (bucket === '') throw new CliError('mc: <ERROR> A bucket path ALIAS/BUCKET is required.')
    const a = findAlias(io.env, alias)
    if (action === 'info') {
      const res = await signedRequest(a, 'GET', `/${bucket}`, [['versioning', '']], Buffer.alloc(0), insecure)
      if (res.status !== 200) throw new CliError(`mc: <ERROR> Unable to get versioning info of \`${target}\`. ${errorText(res)}`)
      const status = field(res.body.toString('utf8'), 'Status')
      io.stdout(terminalText(status === undefined ? `${target} is un-versioned` : `${target} versioning is ${status.toLowerCase()}`) + '\n')
      return 0
    }
    const status = action === 'enable' ? 'Enabled' : 'Suspended'
    const body = Buffer.from(`<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>${status}</Status></VersioningConfiguration>`)
    const res = await signedRequest(a, 'PUT', `/${bucket}`, [['versioning', '']], body, insecure)
    if (res.status !== 200) throw new CliError(`mc: <ERROR> Unable to ${action} versioning on \`${target}\`. ${errorText(res)}`)
    io.stdout(`${target} versioning is ${action === 'enable' ? 'enabled' : 'suspended'}\n`)
    return 0
  } catch (err) {
    io.stderr(`${terminalText((err as Error).message)}\n`)
    return 1
  }
}
