/**
 * Where PEM certificates are read from when a setting names "a file or a directory of files" (KES `tls.ca`,
 * `KES_CAPATH`, `MINIO_KMS_KES_CAPATH`, MinIO's `certs/CAs`, the Vault and etcd `tls.ca`), and the one loader
 * of such CAs.
 *
 * @module
 */
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { readPemFile, TlsFileError } from './tls-files.js'

/** At most this many files are read from a CA directory (a system directory such as /etc/ssl/certs has ~500). */
export const MAX_CA_FILES = 2_000
/** At most this many bytes are read from a CA directory in all. */
export const MAX_CA_BYTES = 32 << 20

const BEGIN_CERTIFICATE = '-----BEGIN CERTIFICATE-----'

/**
 * pemFilesAt lists the files a CA setting names: the regular files of a directory, sorted by name, or the path
 * itself when it is not a directory (also when it does not exist, so that reading it reports the problem).
 * Reading and error wording stay with the caller. Throws only when a directory cannot be listed.
 */
export function pemFilesAt(path: string): string[] {
  if (!isDirectory(path)) return [path]
  return readdirSync(path)
    .sort()
    .map((name) => join(path, name))
    .filter((file) => {
      try {
        return statSync(file).isFile()
      } catch {
        return false
      }
    })
}

/** One CA file read. */
export interface CaFile {
  file: string
  pem: string
}

/** Options of {@link loadCas}. */
export interface LoadCasOptions {
  /** Skip a path that does not exist (or a directory entry that cannot be read) instead of throwing, as MinIO does. */
  skipUnreadable?: boolean
}

/**
 * loadCas reads the CA certificates a setting names: a PEM file as it is, or every regular file of a directory
 * (sorted by name) that holds a PEM certificate, so that keys, serial files or a README beside the CAs are left
 * out. Each file is read with {@link readPemFile}'s limits, a directory up to {@link MAX_CA_FILES} files and
 * {@link MAX_CA_BYTES} in all. Returns [] for a directory without certificates. Throws TlsFileError
 * (`unreadable`) naming the file that cannot be read (unless `skipUnreadable`), or with code `EFBIG` naming
 * the directory when it is over its limits; Error when a directory cannot be listed.
 */
export function loadCas(path: string, opts: LoadCasOptions = {}): CaFile[] {
  if (!isDirectory(path)) {
    try {
      return [{ file: path, pem: readPemFile(path) }]
    } catch (err) {
      if (opts.skipUnreadable === true && err instanceof TlsFileError) return []
      throw err
    }
  }
  const files = pemFilesAt(path)
  if (files.length > MAX_CA_FILES) throw new TlsFileError('unreadable', path, `EFBIG: '${path}' holds more than ${MAX_CA_FILES} files`, 'EFBIG')
  const out: CaFile[] = []
  let bytes = 0
  for (const file of files) {
    let pem: string
    try {
      pem = readPemFile(file)
    } catch (err) {
      if (opts.skipUnreadable === true && err instanceof TlsFileError) continue
      throw err
    }
    bytes += pem.length
    if (bytes > MAX_CA_BYTES) throw new TlsFileError('unreadable', path, `EFBIG: the files in '${path}' are larger than ${MAX_CA_BYTES} bytes`, 'EFBIG')
    if (hasCertificate(pem)) out.push({ file, pem })
  }
  return out
}

/** hasCertificate tells whether PEM text holds at least one certificate block. */
export function hasCertificate(pem: string): boolean {
  return pem.includes(BEGIN_CERTIFICATE)
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}
