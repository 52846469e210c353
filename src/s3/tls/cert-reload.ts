/**
 * Certificate reloads of keyhold-s3: its own TLS certificates (the certs dir) and the KES client
 * certificate with its CA path are re-read on SIGHUP and when a poll sees their files change, so a
 * rotated certificate is picked up without a restart. A reload that fails keeps the old
 * certificates and logs why (never file content).
 *
 * @module
 */
import { watchFileChanges } from '../../lib/file-changes.js'
import type { SharedKms } from '../kms/shared.js'
import type { MessageLog } from '../../lib/logger.js'

/** Options of {@link startCertReloader}. */
export interface CertReloadOptions {
  /** keyhold-s3's own certificates: reloadCertificates throws Error for bad files (the old ones stay). */
  server: { reloadCertificates(): void }
  /** The KMS connection whose client certificate is reloaded. */
  kms?: SharedKms
  /** Paths whose change triggers a reload: the certs dir and the KMS files. */
  watch: string[]
  /** Poll interval in ms (KEYHOLD_S3_CERTS_POLL, see src/s3/config/environment.ts); 0 turns polling off. */
  pollMs: number
  /** Reload on SIGHUP (the server command does; tests may drive {@link CertReloader.reload}). */
  signals?: boolean
  /** Reloads at info, failed reloads (the old certificates stay) at warn. */
  log: MessageLog
}

/** A running reloader. */
export interface CertReloader {
  /** reload re-reads every certificate now; resolves once done. Never rejects: failures are logged. */
  reload(reason: string): Promise<void>
  /** close stops polling and signal handling. */
  close(): void
}

/** startCertReloader starts polling (and SIGHUP handling when asked). Never throws. */
export function startCertReloader(opts: CertReloadOptions): CertReloader {
  let queue = Promise.resolve()

  const once = async (reason: string): Promise<void> => {
    // What this reload reads is what the next poll compares with, so one change reloads once.
    changes.mark()
    try {
      opts.server.reloadCertificates()
      opts.log.info(`certificates reloaded (${reason})`)
    } catch (err) {
      opts.log.warn(`certificate reload failed, keeping the old ones: ${(err as Error).message}`)
    }
    try {
      if (await opts.kms?.reloadCertificates()) opts.log.info(`KMS client certificate reloaded (${reason})`)
    } catch (err) {
      opts.log.warn(`KMS client certificate reload failed, keeping the old one: ${(err as Error).message}`)
    }
  }
  // One reload at a time: a SIGHUP during a poll's reload waits rather than swapping twice at once.
  const reload = (reason: string): Promise<void> => {
    queue = queue.then(() => once(reason))
    return queue
  }
  const changes = watchFileChanges(opts.watch, () => void reload('changed on disk'), { pollMs: opts.pollMs })
  const onHup = (): void => void reload('SIGHUP')
  if (opts.signals === true) process.on('SIGHUP', onHup)
  return {
    reload,
    close() {
      changes.close()
      process.off('SIGHUP', onHup)
    },
  }
}
