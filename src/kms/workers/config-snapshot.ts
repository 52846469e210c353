/**
 * The config a worker starts with. A worker that dies is replaced, and a replacement that read the
 * config file anew would run an edit the others have not taken yet (an edit takes effect on SIGHUP, in
 * every worker at once), or fail on a file that is half-edited. So the primary keeps the text the
 * workers run, {@link ConfigSnapshot}, takes the file again on each SIGHUP only when it is valid (as
 * the workers keep their config when it is not), and hands the text to every worker that starts
 * ({@link configFromPrimary}). Files the config names (the policy file, TLS files) are read as they
 * are: the running workers follow their changes by themselves.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import { isKeyholdMessage, type PrimaryMessage, type WorkerMessage } from './messages.js'

/** How long a starting worker waits for the primary's answer before reading the file itself. */
const ANSWER_TIMEOUT_MS = 5_000

/** ConfigSnapshot: the config text the running workers use (the primary's side). */
export class ConfigSnapshot {
  #text: string

  /**
   * Starts from `text`, the content of `file` the server was started with; `validate` throws for text
   * the workers would refuse (parseConfig).
   */
  constructor(
    readonly file: string,
    text: string,
    private readonly validate: (text: string) => unknown,
  ) {
    this.#text = text
  }

  /** The text a starting worker gets. */
  get text(): string {
    return this.#text
  }

  /** reload takes the file again if it is valid now, and reports whether it did. Throws nothing. */
  reload(): boolean {
    try {
      const text = readFileSync(this.file, 'utf8')
      this.validate(text)
      this.#text = text
      return true
    } catch {
      return false // the workers log why, and keep their config too
    }
  }
}

/**
 * configFromPrimary asks the cluster primary for the config text the running workers use. Resolves
 * undefined when it keeps none (the worker then reads the file) or does not answer in time. Throws nothing.
 */
export function configFromPrimary(timeoutMs = ANSWER_TIMEOUT_MS): Promise<string | undefined> {
  const send = process.send?.bind(process)
  if (send === undefined || !process.connected) return Promise.resolve(undefined)
  return new Promise((resolve) => {
    const done = (text: string | undefined): void => {
      clearTimeout(timer)
      process.off('message', onMessage)
      resolve(text)
    }
    const onMessage = (msg: unknown): void => {
      if (!isKeyholdMessage(msg) || (msg as PrimaryMessage).t !== 'keyhold:config') return
      done((msg as Extract<PrimaryMessage, { t: 'keyhold:config' }>).text ?? undefined)
    }
    const timer = setTimeout(() => done(undefined), timeoutMs)
    timer.unref()
    process.on('message', onMessage)
    const request: WorkerMessage = { t: 'keyhold:config-request' }
    send(request)
  })
}
