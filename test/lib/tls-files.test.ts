import { createPrivateKey } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSecureContext } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadCas, MAX_CA_FILES } from '../../src/lib/pem-files.js'
import { fingerprint, watchFileChanges } from '../../src/lib/file-changes.js'
import { keyFileModeWarning, loadKeyPair, MAX_PEM_BYTES, readPemFile, TlsFileError, unencryptedKeyPem, type TlsFileProblem } from '../../src/lib/tls-files.js'
import { createCertificate, generateKeyPair, privateKeyToPem } from '../../src/pki/index.js'
import { testPki, type TestPki } from '../helpers/pki.js'

const work = mkdtempSync(join(tmpdir(), 'keyhold-tls-files-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

const PASSWORD = 'c0rrect-h0rse'
const WRONG = 'Wr0ng-pa55'
let pki: TestPki
let n = 0
const file = (text: string | Buffer, name = `f${n++}.pem`): string => {
  const path = join(work, name)
  writeFileSync(path, text)
  return path
}

beforeAll(async () => {
  pki = await testPki()
})

/** failure runs fn and returns the TlsFileError it throws (failing the test for anything else). */
function failure(fn: () => unknown): TlsFileError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(TlsFileError)
    return err as TlsFileError
  }
  throw new Error('expected a TlsFileError')
}

function problemOf(fn: () => unknown): [TlsFileProblem, string | undefined] {
  const err = failure(fn)
  return [err.problem, err.code]
}

describe('loadKeyPair', () => {
  it('loads a plain pair and a leaf-first chain, keeping the files as they are', () => {
    const pair = loadKeyPair({ certFile: pki.server.certFile, keyFile: pki.server.keyFile })
    expect(pair).toMatchObject({ certPem: pki.server.certPem, keyPem: pki.server.keyPem, encrypted: false })
    expect(pair.leaf.subject).toBe('CN=server')
    expect(unencryptedKeyPem(pair)).toBe(pki.server.keyPem)
    const chain = file(pki.server.certPem + pki.ca.certPem)
    expect(loadKeyPair({ certFile: chain, keyFile: pki.server.keyFile }).leaf.subject).toBe('CN=server')
  })

  it.each([
    ['PKCS#8', 'pkcs8'],
    ['SEC1 with Proc-Type: 4,ENCRYPTED', 'sec1'],
  ] as const)('decrypts an encrypted %s key with the right password only, and says so without the secrets', (_name, type) => {
    const key = createPrivateKey(pki.server.keyPem)
    const encrypted = key.export({ format: 'pem', type, cipher: 'aes-256-cbc', passphrase: PASSWORD }).toString()
    const keyFile = file(encrypted)
    const body = encrypted.split('\n').reduce((a, b) => (b.length > a.length ? b : a)) // a line of the key itself
    const files = { certFile: pki.server.certFile, keyFile }

    const pair = loadKeyPair({ ...files, password: PASSWORD })
    expect(pair.encrypted).toBe(true)
    expect(pair.keyPem).toBe(encrypted)
    const plain = unencryptedKeyPem(pair)
    expect(plain).toContain('-----BEGIN PRIVATE KEY-----')
    expect(() => createSecureContext({ cert: pair.certPem, key: plain })).not.toThrow()

    for (const err of [
      failure(() => loadKeyPair({ ...files, password: WRONG })),
      failure(() => loadKeyPair(files)),
      failure(() => loadKeyPair({ ...files, password: '' })),
    ]) {
      expect(err.file).toBe(keyFile)
      expect(err.message).not.toContain(PASSWORD)
      expect(err.message).not.toContain(WRONG)
      expect(err.message).not.toMatch(/PRIVATE KEY|Proc-Type/)
      expect(err.message).not.toContain(body)
    }
    expect(problemOf(() => loadKeyPair({ ...files, password: WRONG }))[0]).toBe('password-wrong')
    expect(problemOf(() => loadKeyPair(files))[0]).toBe('password-missing')
    expect(problemOf(() => loadKeyPair({ ...files, password: '' }))[0]).toBe('password-missing')
  })

  it('decrypts an encrypted PKCS#1 RSA key (openssl\'s certificate)', () => {
    const key = join(work, 'rsa.key')
    const cert = join(work, 'rsa.crt')
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=rsa', '-days', '1'], { stdio: 'ignore' })
    const encrypted = createPrivateKey(readFileSync(key)).export({ format: 'pem', type: 'pkcs1', cipher: 'aes-128-cbc', passphrase: PASSWORD }).toString()
    expect(encrypted).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED/)
    const keyFile = file(encrypted)
    expect(loadKeyPair({ certFile: cert, keyFile, password: PASSWORD }).leaf.subject).toBe('CN=rsa')
    expect(problemOf(() => loadKeyPair({ certFile: cert, keyFile, password: WRONG }))[0]).toBe('password-wrong')
    expect(problemOf(() => loadKeyPair({ certFile: pki.server.certFile, keyFile, password: PASSWORD }))[0]).toBe('mismatch')
  })

  it('refuses a key that belongs to another certificate, and garbage in either file', () => {
    const mismatch = failure(() => loadKeyPair({ certFile: pki.server.certFile, keyFile: pki.clients.app.keyFile }))
    expect([mismatch.problem, mismatch.file]).toEqual(['mismatch', pki.clients.app.keyFile])
    expect(mismatch.message).not.toContain(pki.clients.app.keyPem.split('\n')[1]!)
    expect(problemOf(() => loadKeyPair({ certFile: file('not a certificate'), keyFile: pki.server.keyFile }))[0]).toBe('certificate')
    expect(problemOf(() => loadKeyPair({ certFile: pki.server.certFile, keyFile: file('not a key') }))[0]).toBe('key')
    // A certificate where the key should be: not a key.
    expect(problemOf(() => loadKeyPair({ certFile: pki.server.certFile, keyFile: pki.server.certFile }))[0]).toBe('key')
    expect(problemOf(() => loadKeyPair({ certFile: file(''), keyFile: pki.server.keyFile }))[0]).toBe('certificate')
  })

  it('refuses what a broken deploy or an attacker points it at, quickly and without reading it', () => {
    const big = join(work, 'huge.pem')
    writeFileSync(big, '')
    truncateSync(big, 100 << 20) // 100 MB, sparse
    const dir = join(work, 'a-dir')
    mkdirSync(dir)
    const dangling = join(work, 'dangling.key')
    symlinkSync(join(work, 'nowhere'), dangling)
    const fifo = join(work, 'fifo.key')
    execFileSync('mkfifo', [fifo])
    const loop = join(work, 'loop.key')
    symlinkSync(loop, loop)

    const started = Date.now()
    const certFile = pki.server.certFile
    expect(problemOf(() => loadKeyPair({ certFile, keyFile: big }))).toEqual(['unreadable', 'EFBIG'])
    expect(problemOf(() => loadKeyPair({ certFile, keyFile: dir }))).toEqual(['unreadable', 'EISDIR'])
    expect(problemOf(() => loadKeyPair({ certFile, keyFile: dangling }))).toEqual(['unreadable', 'ENOENT'])
    expect(problemOf(() => loadKeyPair({ certFile, keyFile: fifo }))).toEqual(['unreadable', 'EISDIR']) // never opened: no hang
    expect(problemOf(() => loadKeyPair({ certFile, keyFile: '/dev/zero' }))).toEqual(['unreadable', 'EISDIR']) // never read forever
    expect(problemOf(() => loadKeyPair({ certFile, keyFile: loop }))).toEqual(['unreadable', 'ELOOP'])
    expect(problemOf(() => loadKeyPair({ certFile: join(work, 'missing.crt'), keyFile: pki.server.keyFile }))).toEqual(['unreadable', 'ENOENT'])
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(failure(() => readPemFile(big)).message).toBe(`EFBIG: '${big}' is larger than ${MAX_PEM_BYTES} bytes`)
    // Just at the limit is fine (and read whole).
    const atLimit = file(Buffer.alloc(MAX_PEM_BYTES, 'a'))
    expect(readPemFile(atLimit)).toHaveLength(MAX_PEM_BYTES)
    // Read to the end, not to the size stat reports (0 here).
    expect(readPemFile('/proc/self/status')).toMatch(/^Name:/)
  })
})

describe('keyFileModeWarning', () => {
  it.skipIf(process.platform === 'win32')('warns when group or others get any permission, naming file and mode; never on win32', () => {
    const key = file(pki.server.keyPem, 'mode.key')
    for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602, 0o610, 0o601, 0o777]) {
      chmodSync(key, mode)
      expect(keyFileModeWarning(key)).toBe(`private key '${key}' has mode 0${mode.toString(8)}: group or others may access it; restrict it with chmod 600`)
      expect(keyFileModeWarning(key, 'win32')).toBeUndefined()
    }
    for (const mode of [0o600, 0o400, 0o700]) {
      chmodSync(key, mode)
      expect(keyFileModeWarning(key)).toBeUndefined()
    }
    expect(keyFileModeWarning(join(work, 'no-such.key'))).toBeUndefined()
  })
})

describe('loadCas', () => {
  it('reads a CA file as it is, and from a directory only the files holding a certificate, by name', async () => {
    expect(loadCas(pki.ca.certFile)).toEqual([{ file: pki.ca.certFile, pem: pki.ca.certPem }])
    const other = await createCertificate({ commonName: 'Other CA', keyPair: generateKeyPair(), isCA: true, days: 1 })
    const dir = join(work, 'cas')
    mkdirSync(join(dir, 'sub'), { recursive: true })
    writeFileSync(join(dir, 'b.crt'), pki.ca.certPem)
    writeFileSync(join(dir, 'a.pem'), other)
    writeFileSync(join(dir, 'README'), 'these are our CAs\n')
    writeFileSync(join(dir, 'ca.key'), privateKeyToPem(generateKeyPair().privateKey)) // cert-manager puts keys beside CAs
    writeFileSync(join(dir, 'junk.bin'), Buffer.from([0, 1, 2, 255, 254]))
    writeFileSync(join(dir, 'sub', 'c.crt'), pki.ca.certPem) // not descended into
    symlinkSync(join(dir, 'gone'), join(dir, 'dangling.crt'))
    expect(loadCas(dir).map((c) => c.file)).toEqual([join(dir, 'a.pem'), join(dir, 'b.crt')])
    const empty = join(work, 'no-cas')
    mkdirSync(empty)
    writeFileSync(join(empty, 'README'), 'nothing here')
    expect(loadCas(empty)).toEqual([])
  })

  it('names the file it cannot read, or skips it when asked (MinIO), and bounds a directory', () => {
    expect(problemOf(() => loadCas(join(work, 'no-such-ca.pem')))).toEqual(['unreadable', 'ENOENT'])
    expect(loadCas(join(work, 'no-such-ca.pem'), { skipUnreadable: true })).toEqual([])
    const dir = join(work, 'cas-with-huge')
    mkdirSync(dir)
    writeFileSync(join(dir, 'a.crt'), pki.ca.certPem)
    writeFileSync(join(dir, 'huge.crt'), '')
    truncateSync(join(dir, 'huge.crt'), 100 << 20)
    const err = failure(() => loadCas(dir))
    expect([err.code, err.file]).toEqual(['EFBIG', join(dir, 'huge.crt')])
    expect(loadCas(dir, { skipUnreadable: true }).map((c) => c.file)).toEqual([join(dir, 'a.crt')])

    const many = join(work, 'cas-many')
    mkdirSync(many)
    for (let i = 0; i <= MAX_CA_FILES; i++) writeFileSync(join(many, `${i}.crt`), '')
    expect(problemOf(() => loadCas(many))).toEqual(['unreadable', 'EFBIG'])
  })
})

describe('watchFileChanges', () => {
  /** A Kubernetes-style secret volume: tls.crt -> ..data/tls.crt, ..data -> ..<version>. */
  function secretVolume(dir: string, version: string, content: string): void {
    mkdirSync(join(dir, `..${version}`), { recursive: true })
    writeFileSync(join(dir, `..${version}`, 'tls.crt'), content)
    symlinkSync(`..${version}`, join(dir, '..data_tmp'))
    renameSync(join(dir, '..data_tmp'), join(dir, '..data')) // the atomic swap kubelet does
  }

  it('fires once per change: a rename-replace, a symlink swap; not for a touch', () => {
    const dir = join(work, 'watched')
    mkdirSync(dir)
    const crt = join(dir, 'public.crt')
    writeFileSync(crt, 'one')
    const k8s = join(work, 'secret')
    secretVolume(k8s, 'v1', 'first')
    symlinkSync('..data/tls.crt', join(k8s, 'tls.crt'))

    let calls = 0
    const w = watchFileChanges([dir, join(k8s, 'tls.crt')], () => calls++, { pollMs: 0 })
    try {
      w.check()
      expect(calls).toBe(0)

      writeFileSync(join(dir, '.public.crt.tmp'), 'two') // the editor's / cert-manager's way
      renameSync(join(dir, '.public.crt.tmp'), crt)
      w.check()
      w.check()
      expect(calls).toBe(1)

      secretVolume(k8s, 'v2', 'second')
      w.check()
      w.check()
      expect(calls).toBe(2)

      utimesSync(crt, new Date(), new Date(Date.now() + 10_000)) // same content: no reload
      w.check()
      expect(calls).toBe(2)

      rmSync(crt) // gone is a change too (the reload then says what is wrong)
      w.check()
      expect(calls).toBe(3)

      writeFileSync(crt, 'three')
      w.mark() // a reload that was not this watch's (SIGHUP) has seen it
      w.check()
      expect(calls).toBe(3)
    } finally {
      w.close()
    }
  })

  it('polls on its own, nudged by fs.watch, and fires once for a burst of writes', async () => {
    const dir = join(work, 'polled')
    mkdirSync(dir)
    const crt = join(dir, 'tls.crt')
    writeFileSync(crt, 'one')
    let calls = 0
    const w = watchFileChanges([crt], () => calls++, { pollMs: 5_000, nudge: true, debounceMs: 50 })
    try {
      for (let i = 0; i < 5; i++) writeFileSync(crt, `burst ${i}`)
      for (let i = 0; i < 40 && calls === 0; i++) await new Promise((r) => setTimeout(r, 25))
      expect(calls).toBe(1) // well before the 5 s poll
      await new Promise((r) => setTimeout(r, 300))
      expect(calls).toBe(1)
    } finally {
      w.close()
    }
    writeFileSync(crt, 'after close')
    await new Promise((r) => setTimeout(r, 200))
    expect(calls).toBe(1)

    let polled = 0
    const p = watchFileChanges([crt], () => polled++, { pollMs: 30 })
    try {
      writeFileSync(crt, 'polled')
      for (let i = 0; i < 40 && polled === 0; i++) await new Promise((r) => setTimeout(r, 25))
      expect(polled).toBe(1)
    } finally {
      p.close()
    }
  })

  it('fingerprints hostile trees without throwing or hanging', () => {
    const dir = join(work, 'hostile')
    mkdirSync(dir)
    symlinkSync(dir, join(dir, 'loop')) // a directory cycle: bounded by depth
    symlinkSync(join(dir, 'self'), join(dir, 'self'))
    execFileSync('mkfifo', [join(dir, 'fifo')])
    writeFileSync(join(dir, 'big'), '')
    truncateSync(join(dir, 'big'), 100 << 20)
    const started = Date.now()
    const a = fingerprint([dir, '/dev/zero', join(work, 'nothing-here')])
    expect(fingerprint([dir, '/dev/zero', join(work, 'nothing-here')])).toBe(a)
    expect(Date.now() - started).toBeLessThan(2_000)
  })
})
