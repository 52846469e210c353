/**
 * The one way TLS files are read: a PEM file with a size limit, and a key pair (certificate chain + private
 * key, optionally encrypted) checked to belong together. Used by the KMS server's `tls:` section, keyhold-s3's
 * certs dir and its KES client certificate, the KES client's environment and the keystores' client TLS.
 *
 * Errors are {@link TlsFileError}s saying which file and what is wrong with it, never what is in it: callers
 * turn them into their own (often pinned) messages. CA files and directories are in `pem-files.ts`, change
 * detection in `file-changes.ts`. {@link keyFileModeWarning} is what both servers say about a private key file
 * that group or others may access.
 *
 * @module
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto'
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs'

/**
 * The largest PEM file read: a certificate chain is a few KiB and the biggest CA bundle in common use (the
 * system's) about 250 KiB, so anything larger is a mistake or an attack, refused before it is read.
 */
export const MAX_PEM_BYTES = 1 << 20
const READ_CHUNK = 64 << 10

/** What is wrong with a TLS file: it cannot be read, needs a password, or does not parse or match. */
export type TlsFileProblem = 'unreadable' | 'password-missing' | 'password-wrong' | 'key' | 'certificate' | 'mismatch'

/**
 * TlsFileError: a TLS file cannot be used. `file` names it, `problem` says why; for `unreadable`, `code` is
 * the errno code (`ENOENT`, `EACCES`, `EISDIR` also for any non-regular file, `EFBIG` above
 * {@link MAX_PEM_BYTES}) and the message is node's (or worded like it). `cause` is node's error where there is
 * one; no message ever contains key material or a password.
 */
export class TlsFileError extends Error {
  override readonly name = 'TlsFileError'

  constructor(
    readonly problem: TlsFileProblem,
    readonly file: string,
    message: string,
    readonly code?: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

/**
 * readPemFile reads a TLS file as text: only a regular file (symlinks followed) of at most
 * {@link MAX_PEM_BYTES}. A FIFO or device is refused, never opened for a blocking read. Throws TlsFileError
 * (`unreadable`).
 */
export function readPemFile(file: string): string {
  return readBounded(file, MAX_PEM_BYTES).toString('utf8')
}

/**
 * readBounded reads a regular file of at most `max` bytes. Throws TlsFileError (`unreadable`): node's errno
 * error, `EISDIR` for a directory or any other non-regular file, `EFBIG` when larger than `max`.
 */
export function readBounded(file: string, max: number): Buffer {
  const unreadable = (code: string, message: string, cause?: unknown) =>
    new TlsFileError('unreadable', file, message, code, cause === undefined ? undefined : { cause })
  let fd: number
  try {
    // stat first so that a FIFO is never opened; O_NONBLOCK covers one swapped in between.
    if (!statSync(file).isFile()) throw unreadable('EISDIR', `EISDIR: '${file}' is not a regular file`)
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (err) {
    if (err instanceof TlsFileError) throw err
    const e = err as NodeJS.ErrnoException
    throw unreadable(e.code ?? 'EIO', e.message, err)
  }
  try {
    const st = fstatSync(fd)
    if (!st.isFile()) throw unreadable('EISDIR', `EISDIR: '${file}' is not a regular file`)
    if (st.size > max) throw unreadable('EFBIG', `EFBIG: '${file}' is larger than ${max} bytes`)
    // Read to the end, not to the size the fstat saw (a file may grow, /proc reports 0), but never past the limit.
    const chunks: Buffer[] = []
    let length = 0
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, max + 1 - length))
      const n = readSync(fd, chunk, 0, chunk.length, null)
      if (n === 0) break
      chunks.push(chunk.subarray(0, n))
      length += n
      if (length > max) throw unreadable('EFBIG', `EFBIG: '${file}' is larger than ${max} bytes`)
    }
    return Buffer.concat(chunks, length)
  } catch (err) {
    if (err instanceof TlsFileError) throw err
    const e = err as NodeJS.ErrnoException
    throw unreadable(e.code ?? 'EIO', e.message, err)
  } finally {
    closeSync(fd)
  }
}

/** isEncryptedKey tells an encrypted PEM key: PKCS#8 `ENCRYPTED PRIVATE KEY`, or PKCS#1/SEC1 with `Proc-Type: 4,ENCRYPTED`. */
export function isEncryptedKey(pem: string): boolean {
  return /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/.test(pem)
}

/** The files of a key pair, and the password of an encrypted key. */
export interface KeyPairFiles {
  certFile: string
  keyFile: string
  /** Used only when the key is encrypted; an empty password counts as none. */
  password?: string | undefined
}

/** A loaded key pair: the files' text as on disk, the parsed (decrypted) key and the leaf certificate. */
export interface LoadedKeyPair {
  /** The certificate chain, leaf first, as in the file. */
  certPem: string
  /** The private key as in the file (still encrypted when it was). */
  keyPem: string
  encrypted: boolean
  privateKey: KeyObject
  leaf: X509Certificate
}

/**
 * loadKeyPair reads a certificate chain and its private key and checks that they belong together. Reads the
 * certificate first, then the key; parses the key first. Throws TlsFileError: `unreadable` (either file),
 * `password-missing` (the key is encrypted and no password was given), `password-wrong` (it does not decrypt
 * with the password), `key` (an unencrypted key does not parse), `certificate` (no parsable certificate), `mismatch` (the key is another certificate's).
 */
export function loadKeyPair(files: KeyPairFiles): LoadedKeyPair {
  const certPem = readPemFile(files.certFile)
  const keyPem = readPemFile(files.keyFile)
  const encrypted = isEncryptedKey(keyPem)
  const password = files.password ?? ''
  if (encrypted && password === '') {
    throw new TlsFileError('password-missing', files.keyFile, `private key '${files.keyFile}' is encrypted and no password is set`)
  }
  let privateKey: KeyObject
  try {
    // A passphrase is always given for an encrypted key: without one OpenSSL could prompt on a terminal.
    privateKey = createPrivateKey(encrypted ? { key: keyPem, passphrase: password } : { key: keyPem })
  } catch (err) {
    if (encrypted) throw new TlsFileError('password-wrong', files.keyFile, `cannot decrypt private key '${files.keyFile}': wrong password`, undefined, { cause: err })
    throw new TlsFileError('key', files.keyFile, `cannot parse private key '${files.keyFile}'`, undefined, { cause: err })
  }
  let leaf: X509Certificate
  try {
    leaf = checkKeyPair(certPem, privateKey)
  } catch (err) {
    if (!(err instanceof KeyPairError)) throw err
    if (err.problem === 'certificate') {
      throw new TlsFileError('certificate', files.certFile, `no PEM certificate in '${files.certFile}'`, undefined, { cause: err.cause })
    }
    throw new TlsFileError('mismatch', files.keyFile, `private key '${files.keyFile}' does not belong to certificate '${files.certFile}'`)
  }
  return { certPem, keyPem, encrypted, privateKey, leaf }
}

/**
 * keyFileModeWarning returns the warning to log when the private key file `file` grants group or others any
 * permission (mode & 0o077), naming the file and its mode in octal and suggesting `chmod 600`; undefined when it
 * grants none, on a platform without POSIX modes (`win32`), or when the file cannot be stat'ed (reading it reports
 * that). Reads only the file's mode, never its content. Throws nothing.
 *
 * A warning, not a refusal: KES and MinIO accept such keys, and keys mounted into containers are often 0644.
 */
export function keyFileModeWarning(file: string, platform: NodeJS.Platform = process.platform): string | undefined {
  if (platform === 'win32') return undefined
  let mode: number
  try {
    mode = statSync(file).mode & 0o777
  } catch {
    return undefined
  }
  if ((mode & 0o077) === 0) return undefined
  return `private key '${file}' has mode ${mode.toString(8).padStart(4, '0')}: group or others may access it; restrict it with chmod 600`
}

/**
 * unencryptedKeyPem is the key of a pair as PEM a TLS context takes without a passphrase: the file's text,
 * or PKCS#8 when the file was encrypted. Throws nothing.
 */
export function unencryptedKeyPem(pair: LoadedKeyPair): string {
  return pair.encrypted ? pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() : pair.keyPem
}

/** What is wrong with a pair in memory: the certificate or the key does not parse, or they do not belong together. */
export type KeyPairProblem = 'certificate' | 'key' | 'mismatch'

const PAIR_MESSAGES: Record<KeyPairProblem, string> = {
  certificate: 'pki: not a PEM certificate',
  key: 'pki: not a PEM private key',
  mismatch: 'pki: the private key does not belong to the certificate',
}

/** KeyPairError says which part of a certificate/private-key pair is wrong; `cause` is node's parse error. */
export class KeyPairError extends Error {
  override readonly name = 'KeyPairError'

  constructor(
    readonly problem: KeyPairProblem,
    options?: ErrorOptions,
  ) {
    super(PAIR_MESSAGES[problem], options)
  }
}

/**
 * checkKeyPair parses the leaf certificate (the first certificate in `certPem`, so a leaf-first chain
 * works) and returns it when `key` is its private key. `key` may be an unencrypted PEM key or a key
 * the caller already parsed (e.g. decrypted with its passphrase). The certificate is parsed first.
 * Throws KeyPairError: `certificate` when `certPem` holds no parsable certificate, `key` when the PEM key
 * does not parse (or is encrypted), `mismatch` when the key belongs to another certificate. Throws
 * node's TypeError when `key` is a KeyObject that is not a private key.
 */
export function checkKeyPair(certPem: string | Buffer, key: string | Buffer | KeyObject): X509Certificate {
  let leaf: X509Certificate
  try {
    leaf = new X509Certificate(certPem)
  } catch (err) {
    throw new KeyPairError('certificate', { cause: err })
  }
  let privateKey: KeyObject
  try {
    privateKey = typeof key === 'string' || Buffer.isBuffer(key) ? createPrivateKey(key) : key
  } catch (err) {
    throw new KeyPairError('key', { cause: err })
  }
  if (!leaf.checkPrivateKey(privateKey)) throw new KeyPairError('mismatch')
  return leaf
}
