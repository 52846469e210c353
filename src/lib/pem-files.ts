/**
 * Where PEM certificates are read from when a setting names "a file or a directory of files" (KES `tls.ca`,
 * `KES_CAPATH`, `MINIO_KMS_KES_CAPATH`, MinIO's `certs/CAs`, the Vault and etcd `tls.ca`).
 *
 * @module
 */
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

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

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}
