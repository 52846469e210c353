/**
 * CLI conventions on every `keyhold` and `keyhold-s3` command: `--help`/`-h` print to stdout and exit 0;
 * usage errors print the usage to stderr and exit 2; a short flag means the same on every command; each
 * client command's help names the environment variables it reads.
 */
import { describe, expect, it } from 'vitest'
import { runS3Cli } from '../../src/cli/keyhold-s3/index.js'
import { cli } from './run.js'

const KEYHOLD = [
  ['key'], ['key', 'create'], ['key', 'import'], ['key', 'info'], ['key', 'ls'], ['key', 'rm'], ['key', 'encrypt'], ['key', 'decrypt'], ['key', 'dek'], ['key', 'rotate'],
  ['key', 'state'], ['key', 'disable'], ['key', 'enable'], ['key', 'restore'],
  ['policy'], ['policy', 'ls'], ['policy', 'info'], ['policy', 'show'], ['policy', 'explain'],
  ['identity'], ['identity', 'new'], ['identity', 'of'], ['identity', 'info'], ['identity', 'ls'],
  ['ls'], ['log'], ['status'], ['metric'], ['migrate'],
]
// Client commands: they talk to a server (identity new/of work offline, migrate on keystores).
const CLIENTS = KEYHOLD.filter((c) => c.length === 2 || ['ls', 'log', 'status', 'metric'].includes(c[0]!))
  .filter((c) => !['new', 'of'].includes(c[1] ?? ''))

const S3 = [
  ['server'], ['alias'], ['alias', 'set'], ['encrypt'], ['encrypt', 'set'], ['stat'],
  ['admin'], ['admin', 'user'], ['admin', 'user', 'add'], ['admin', 'user', 'svcacct'], ['admin', 'user', 'svcacct', 'add'],
  ['admin', 'group'], ['admin', 'group', 'add'], ['admin', 'policy'], ['admin', 'policy', 'attach'], ['admin', 'kms', 'key', 'status'],
]

async function s3(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await runS3Cli(argv, { env: {}, stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) })
  return { code, stdout, stderr }
}

describe('--help on every command', () => {
  it.each(KEYHOLD.flatMap((c) => [[...c, '--help'], [...c, '-h']]))('keyhold %s … prints to stdout and exits 0', async (...argv) => {
    const r = await cli(argv)
    expect([r.code, r.stderr]).toEqual([0, ''])
    expect(r.stdout).toMatch(/^Usage:\n {4}keyhold /)
  })

  it.each(S3.flatMap((c) => [[...c, '--help'], [...c, '-h']]))('keyhold-s3 %s … prints to stdout and exits 0', async (...argv) => {
    const r = await s3(argv)
    expect([r.code, r.stderr]).toEqual([0, ''])
    expect(r.stdout).toMatch(/^Usage: keyhold-s3 /)
  })

  it('names the environment variables of every client command', async () => {
    for (const argv of CLIENTS) {
      const { stdout } = await cli([...argv, '--help'])
      expect(stdout, argv.join(' ')).toMatch(/\nEnvironment:\n {4}KES_SERVER .*\n {4}KES_API_KEY .*\n {4}KES_CLIENT_CERT .*\n {4}KES_CLIENT_KEY .*\n {4}KES_CAPATH /)
    }
  })

  it('gives -s one meaning, --server, on every command (status included)', async () => {
    for (const argv of KEYHOLD) {
      const { stdout } = await cli([...argv, '--help'])
      for (const line of stdout.split('\n').filter((l) => /^ {4}-s, /.test(l))) expect(line, argv.join(' ')).toMatch(/^ {4}-s, --server /)
    }
    expect((await cli(['status', '--help'])).stdout).toMatch(/\n {8}--short /)
  })
})

describe('usage errors', () => {
  it('keyhold: a missing command or subcommand prints the usage to stderr and exits 2', async () => {
    for (const argv of [[], ['key'], ['identity']]) {
      const r = await cli(argv)
      expect([r.code, r.stdout], argv.join(' ')).toEqual([2, ''])
      expect(r.stderr).toMatch(/^Usage:\n/)
    }
  })

  it.each([[[]], [['alias']], [['alias', 'set', 'x']], [['encrypt', 'set']], [['stat']], [['admin']], [['admin', 'user']], [['admin', 'user', 'add']],
    [['admin', 'user', 'svcacct']], [['admin', 'group', 'add', 'local']], [['admin', 'policy', 'attach']], [['admin', 'kms', 'key', 'status']]])(
    'keyhold-s3 %j prints the usage to stderr and exits 2', async (argv) => {
      const r = await s3(argv)
      expect([r.code, r.stdout]).toEqual([2, ''])
      expect(r.stderr).toMatch(/Usage: keyhold-s3 /)
    })
})
