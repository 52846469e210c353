import { describe, expect, it } from 'vitest'
import { isBase64, parseDurationFlag, parseFlags, type Flag } from '../../src/cli/args.js'
import { UsageError } from '../../src/cli/errors.js'
import { formatAudit } from '../../src/cli/keyhold/log.js'
import { formatBytes, formatDuration, formatFields, formatTable, formatTime } from '../../src/cli/output.js'
import { cli } from './run.js'

const FLAGS: Flag[] = [
  { long: 'insecure', short: 'k', kind: 'boolean', help: '' },
  { long: 'key', kind: 'string', help: '' },
  { long: 'ip', kind: 'list', help: '' },
]

describe('parseFlags', () => {
  it('reads booleans, values (spaced or =), lists and positionals in any order', () => {
    expect(parseFlags(['a', '-k', '--key=x.pem', '--ip', '1.1.1.1', 'b', '--ip', '2.2.2.2', '--', '--c'], FLAGS)).toEqual({
      flags: { insecure: true, key: 'x.pem', ip: ['1.1.1.1', '2.2.2.2'] },
      args: ['a', 'b', '--c'],
    })
  })

  it.each([
    [['--nope'], "unknown flag '--nope'"],
    [['--key'], "flag '--key <value>' argument missing"],
    [['--insecure=yes'], "flag '-k, --insecure' does not take an argument"],
  ])('rejects %j', (argv, message) => {
    expect(() => parseFlags(argv, FLAGS)).toThrow(new UsageError(message))
  })
})

describe('parseDurationFlag', () => {
  it.each([
    ['720h', 720 * 3_600_000],
    ['1h30m', 5_400_000],
    ['5s', 5_000],
    ['250ms', 250],
    ['1.5h', 5_400_000],
  ])('%s', (text, ms) => expect(parseDurationFlag(text, 'x')).toBe(ms))

  it.each(['', '5', '5d', 'h', '0s', '-5s', '5s '])('rejects %j', (text) => {
    expect(() => parseDurationFlag(text, 'expiry')).toThrow(UsageError)
  })
})

describe('output formatting', () => {
  it('aligns tables and fields', () => {
    expect(formatTable(['Key', 'Algorithm'], [['a', 'AES256'], ['long-name', 'ChaCha20']])).toBe(
      'Key        Algorithm\na          AES256\nlong-name  ChaCha20\n',
    )
    expect(formatTable(['Key'], [], true)).toBe('\x1b[1mKey\x1b[0m\n')
    expect(formatFields([['Name', 'k'], ['Created By', undefined], ['Algorithm', 'AES256']])).toBe('Name       k\nAlgorithm  AES256\n')
  })

  it('renders sizes, durations and times for people', () => {
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(1_000_000)).toBe('976.6 KiB')
    expect(formatDuration(0)).toBe('0s')
    expect(formatDuration(93_784)).toBe('1d 2h 3m 4s')
    expect(formatTime('2026-11-27T13:00:00.123456789Z')).toBe('2026-11-27 13:00:00')
    expect(formatTime('0001-01-01T00:00:00Z')).toBe('0001-01-01 00:00:00')
    expect(formatTime('garbage')).toBe('garbage')
    expect(isBase64('aGVsbG8=')).toBe(true)
    expect(isBase64('aGVsbG8')).toBe(false)
    expect(isBase64('a b=')).toBe(false)
  })
})

describe('audit lines on a terminal', () => {
  it('shows time, status, a short identity, IP, path and response time', () => {
    const line = formatAudit({
      time: '2026-11-27T13:00:00.5Z',
      request: { ip: '127.0.0.1', path: '/v1/key/create/k', identity: 'a'.repeat(64) },
      response: { code: 403, time: 2 },
    })
    expect(line).toBe(`2026-11-27 13:00:00  403  ${'a'.repeat(12)}…  127.0.0.1        /v1/key/create/k  (2)`)
  })
})

describe('keyhold dispatcher', () => {
  it('prints help for the CLI, every group and every command', async () => {
    const top = await cli(['--help'])
    expect(top.code).toBe(0)
    for (const name of ['server', 'key', 'policy', 'identity', 'log', 'status', 'metric', 'audit']) expect(top.stdout).toContain(`    ${name} `)
    const groups: Record<string, string[]> = {
      key: ['create', 'import', 'info', 'ls', 'rm', 'encrypt', 'decrypt', 'dek', 'rotate'],
      policy: ['ls', 'info', 'show'],
      identity: ['new', 'of', 'info', 'ls'],
    }
    for (const [group, subs] of Object.entries(groups)) {
      const g = await cli([group, '--help'])
      expect(g.code).toBe(0)
      for (const sub of subs) {
        expect(g.stdout).toContain(`    ${sub} `)
        const c = await cli([group, sub, '-h'])
        expect(c.code).toBe(0)
        expect(c.stdout).toMatch(new RegExp(`^Usage:\\n    keyhold ${group} ${sub} \\[options\\]`))
      }
    }
    for (const cmd of ['status', 'metric', 'log']) expect((await cli([cmd, '--help'])).stdout).toContain(`keyhold ${cmd} [options]`)
  })

  it('says what is wrong with usage, exit 2', async () => {
    expect(await cli(['bogus'])).toMatchObject({ code: 2, stderr: "Error: 'bogus' is not a keyhold command. See 'keyhold --help'\n" })
    expect(await cli(['key', 'frob'])).toMatchObject({ code: 2, stderr: "Error: 'frob' is not a key command. See 'keyhold key --help'\n" })
    expect(await cli(['key', 'info', 'a', 'b'])).toMatchObject({ code: 2, stderr: "Error: too many arguments. See 'keyhold key info --help'\n" })
    expect((await cli(['key'])).code).toBe(2)
  })

  it('prints the version', async () => {
    expect((await cli(['--version'])).stdout).toMatch(/^keyhold version \d+\.\d+\.\d+\n$/)
  })

  it('refuses a client command without credentials, naming the variables', async () => {
    expect(await cli(['key', 'ls'])).toMatchObject({
      code: 1,
      stderr: 'Error: no credentials: set KES_API_KEY, or KES_CLIENT_CERT and KES_CLIENT_KEY\n',
    })
  })
})
