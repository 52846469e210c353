import { X509Certificate, createPrivateKey } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { connect, type ConnectionOptions } from 'node:tls'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createCertificate, generateKeyPair, privateKeyToPem } from '../../src/pki/index.js'
import { createS3Server } from '../../src/s3/server.js'
import { loadCertsDir, loadTrustedCAs } from '../../src/s3/tls/certs-dir.js'
import { ROOT_PASSWORD, ROOT_USER } from '../helpers/s3.js'
import { testPki } from '../helpers/pki.js'
import { silentMessageLog } from '../../src/lib/logger.js'
import { recordLog } from '../helpers/message-log.js'

const work = mkdtempSync(join(tmpdir(), 'keyhold-s3-tls-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

async function selfSigned(name: string, hosts: string[]): Promise<{ cert: string; key: string }> {
  const keyPair = generateKeyPair()
  return { cert: await createCertificate({ commonName: name, keyPair, hosts, usage: ['server'] }), key: privateKeyToPem(keyPair.privateKey) }
}

function writePair(dir: string, pair: { cert: string; key: string }): void {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'public.crt'), pair.cert)
  writeFileSync(join(dir, 'private.key'), pair.key)
}

/** handshake connects and returns the served certificate's CN and the protocol, or the error code. */
function handshake(port: number, opts: ConnectionOptions): Promise<{ cn?: string; protocol?: string | null; error?: string }> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...opts }, () => {
      const cn = new X509Certificate(sock.getPeerX509Certificate()!.raw).subject.replace(/^CN=/, '')
      const protocol = sock.getProtocol()
      sock.destroy()
      resolve({ cn, protocol })
    })
    sock.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }))
  })
}

describe('TLS from a MinIO-style certs dir', () => {
  it('serves the default cert, SNI certs from subfolders, TLS 1.2+ AEAD only, and reloads', async () => {
    const pki = await testPki()
    const certs = join(work, 'certs')
    writePair(certs, { cert: pki.server.certPem, key: pki.server.keyPem })
    writePair(join(certs, 'other'), await selfSigned('other', ['other.example']))
    const server = await createS3Server({ dataDir: join(work, 'd1'), certsDir: certs, rootUser: ROOT_USER, rootPassword: ROOT_PASSWORD, log: silentMessageLog })
    try {
      expect(server.tls).toBe(true)
      expect(server.url).toMatch(/^https:/)
      expect(existsSync(join(certs, 'CAs'))).toBe(true)
      expect((await handshake(server.port, { ca: pki.ca.certPem, rejectUnauthorized: true, servername: 'localhost' })).cn).toBe('server')
      expect((await handshake(server.port, {})).cn).toBe('server')
      expect((await handshake(server.port, { servername: 'other.example' })).cn).toBe('other')
      expect((await handshake(server.port, { servername: 'unknown.example' })).cn).toBe('server')
      expect((await handshake(server.port, { maxVersion: 'TLSv1.2' })).protocol).toBe('TLSv1.2')
      expect((await handshake(server.port, { maxVersion: 'TLSv1.1', minVersion: 'TLSv1' })).error).toBeDefined()
      expect((await handshake(server.port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384' })).error).toBeDefined()

      writePair(certs, await selfSigned('renewed', ['localhost', '127.0.0.1']))
      server.reloadCertificates()
      expect((await handshake(server.port, {})).cn).toBe('renewed')
      writeFileSync(join(certs, 'private.key'), 'not a key')
      expect(() => server.reloadCertificates()).toThrow()
      expect((await handshake(server.port, {})).cn).toBe('renewed')
    } finally {
      await server.close()
    }
  })

  it('refuses IP SANs on SNI certificates, and serves plain HTTP without certificates', async () => {
    const pki = await testPki()
    const certs = join(work, 'certs-ip')
    writePair(certs, { cert: pki.server.certPem, key: pki.server.keyPem })
    writePair(join(certs, 'bad'), await selfSigned('bad', ['10.0.0.1']))
    await expect(createS3Server({ dataDir: join(work, 'd2'), certsDir: certs, rootUser: ROOT_USER, rootPassword: ROOT_PASSWORD, log: silentMessageLog }))
      .rejects.toThrow(/only the default certificate may contain IP SANs/)
    const empty = join(work, 'empty-certs')
    const plain = await createS3Server({ dataDir: join(work, 'd3'), certsDir: empty, rootUser: ROOT_USER, rootPassword: ROOT_PASSWORD, log: silentMessageLog })
    try {
      expect(plain.tls).toBe(false)
      expect(plain.url).toMatch(/^http:/)
    } finally {
      await plain.close()
    }
  })

  it('decrypts an encrypted private.key with the passphrase it is handed (MINIO_CERT_PASSWD), never from process.env', async () => {
    const pki = await testPki()
    const certs = join(work, 'certs-encrypted')
    const encrypted = createPrivateKey(pki.server.keyPem).export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pem-pass-phrase-7' }).toString()
    writePair(certs, { cert: pki.server.certPem, key: encrypted })
    const start = (dir: string, certPassword?: string) => createS3Server({ dataDir: join(work, dir), certsDir: certs, certPassword, rootUser: ROOT_USER, rootPassword: ROOT_PASSWORD, log: silentMessageLog })
    // The server reads no environment itself: a passphrase in process.env is not picked up behind its back.
    process.env.MINIO_CERT_PASSWD = 'pem-pass-phrase-7'
    try {
      await expect(start('d4')).rejects.toThrow(`${join(certs, 'private.key')} is encrypted: set MINIO_CERT_PASSWD`)
    } finally {
      delete process.env.MINIO_CERT_PASSWD
    }
    const wrong = await start('d5', 'a-wrong-passphrase').then(() => 'started', (err: Error) => err.message)
    expect(wrong).toBe(`${join(certs, 'private.key')}: cannot decrypt the private key with MINIO_CERT_PASSWD`)
    const server = await start('d6', 'pem-pass-phrase-7')
    try {
      expect((await handshake(server.port, { ca: pki.ca.certPem, rejectUnauthorized: true, servername: 'localhost' })).cn).toBe('server')
      server.reloadCertificates()
      expect((await handshake(server.port, {})).cn).toBe('server')
    } finally {
      await server.close()
    }
  })
})

describe('private.key files group or others may access', () => {
  const warning = (file: string, mode: string) => `private key '${file}' has mode ${mode}: group or others may access it; restrict it with chmod 600`

  it.skipIf(process.platform === 'win32')('are warned about at start and at every reload, default and SNI, and still served; 0600 ones are not', async () => {
    const pki = await testPki()
    const certs = join(work, 'certs-mode')
    writePair(certs, { cert: pki.server.certPem, key: pki.server.keyPem })
    writePair(join(certs, 'other'), await selfSigned('other', ['other.example']))
    const keyFile = join(certs, 'private.key')
    const sniKey = join(certs, 'other', 'private.key')
    chmodSync(keyFile, 0o600)
    chmodSync(sniKey, 0o600)
    const recorded = recordLog()
    const warned = () => recorded.entries.filter((e) => e.level === 'warn').map((e) => e.msg)
    const start = (dir: string) => createS3Server({ dataDir: join(work, dir), certsDir: certs, rootUser: ROOT_USER, rootPassword: ROOT_PASSWORD, log: recorded.log })
    const server = await start('d-mode1')
    try {
      expect(warned()).toEqual([])
      chmodSync(keyFile, 0o644)
      chmodSync(sniKey, 0o640)
      server.reloadCertificates()
      expect(warned()).toEqual([warning(keyFile, '0644'), warning(sniKey, '0640')])
      expect((await handshake(server.port, {})).cn).toBe('server')
      expect((await handshake(server.port, { servername: 'other.example' })).cn).toBe('other')
      chmodSync(keyFile, 0o600)
      chmodSync(sniKey, 0o600)
      recorded.clear()
      server.reloadCertificates()
      expect(warned()).toEqual([])
    } finally {
      await server.close()
    }
    chmodSync(keyFile, 0o644)
    const second = await start('d-mode2')
    try {
      expect(warned()).toEqual([warning(keyFile, '0644')])
      expect((await handshake(second.port, {})).cn).toBe('server')
    } finally {
      await second.close()
    }
    // The path and the mode, never the key.
    expect(recorded.lines.join('')).not.toContain('PRIVATE KEY')
  })
})

describe('certs dir files', () => {
  // The passphrase comes from MINIO_CERT_PASSWD through the server's environment (src/s3/config/).
  const loadError = (dir: string, passphrase?: string): string => {
    try {
      loadCertsDir(dir, passphrase)
    } catch (err) {
      return (err as Error).message
    }
    return 'no error'
  }

  it('decrypts private.key with MINIO_CERT_PASSWD and says what is wrong with a pair, never what is in it', async () => {
    const pair = await selfSigned('encrypted', ['127.0.0.1'])
    const dir = join(work, 'encrypted')
    writePair(dir, { cert: pair.cert, key: createPrivateKey(pair.key).export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 's3cret-pw' }).toString() })
    const keyFile = join(dir, 'private.key')
    expect(loadError(dir)).toBe(`${keyFile} is encrypted: set MINIO_CERT_PASSWD`)
    expect(loadError(dir, 'Wr0ng-pw')).toBe(`${keyFile}: cannot decrypt the private key with MINIO_CERT_PASSWD`)
    const loaded = loadCertsDir(dir, 's3cret-pw').default!
    expect(loaded.key).toContain('-----BEGIN PRIVATE KEY-----')
    expect(createPrivateKey(loaded.key).equals(createPrivateKey(pair.key))).toBe(true)

    const other = await selfSigned('other', ['127.0.0.1'])
    const mismatched = join(work, 'mismatched')
    writePair(mismatched, { cert: pair.cert, key: other.key })
    expect(loadError(mismatched)).toBe(`${mismatched}: public.crt does not match private.key`)
    const garbage = join(work, 'garbage-cert')
    writePair(garbage, { cert: 'not a certificate', key: pair.key })
    expect(loadError(garbage)).toBe(`${join(garbage, 'public.crt')}: not a PEM certificate`)
    const huge = join(work, 'huge-key')
    writePair(huge, pair)
    truncateSync(join(huge, 'private.key'), 100 << 20)
    expect(loadError(huge)).toBe(`EFBIG: '${join(huge, 'private.key')}' is larger than 1048576 bytes`)
    for (const message of [loadError(dir), loadError(dir, 'Wr0ng-pw'), loadError(mismatched), loadError(garbage)]) {
      expect(message).not.toMatch(/PRIVATE KEY|s3cret-pw/)
    }
  })

  it('trusts only the files in CAs/ that hold certificates', async () => {
    const dir = join(work, 'cas-only')
    mkdirSync(join(dir, 'CAs'), { recursive: true })
    const ca = await selfSigned('ca', [])
    writeFileSync(join(dir, 'CAs', 'ca.crt'), ca.cert)
    writeFileSync(join(dir, 'CAs', 'ca.key'), ca.key)
    writeFileSync(join(dir, 'CAs', 'notes.txt'), 'rotated on Monday')
    expect(loadTrustedCAs(dir)).toEqual([ca.cert])
    expect(loadTrustedCAs(join(work, 'no-certs-dir-here'))).toEqual([])
  })
})
