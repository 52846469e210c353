/**
 * A watch on the keystore's prefix over the gateway's streaming `/v3/watch`: every change to a
 * key under the prefix, made by any server, is reported by name. After a disconnect the watch
 * resumes at the revision after the last one it saw, on the next member; when etcd has compacted
 * that revision away, changes may have been missed and `onReset` asks the caller to forget
 * everything. So it does for the first stream (what the caller read before it began may have
 * changed unreported) and for a store whose revision went back (restored from a snapshot). Any
 * other refusal (no leader, an unknown token) is retried from the same revision.
 *
 * @module
 */
import https from 'node:https'
import http from 'node:http'
import type { EtcdClient } from './client.js'
import { b64, prefixEnd, unb64 } from './keys.js'
import { serverText } from '../server-text.js'

/** What the watcher reports. None of these may throw. */
export interface WatchHandlers {
  /** A key under the prefix was put or (`deleted`) deleted (the full etcd key). */
  onChange(key: Buffer, deleted: boolean): void
  /** Changes may have been missed: drop everything derived from the store. */
  onReset(): void
  /** The stream failed or was refused (for the log; not every retry); the watcher retries by itself. */
  onProblem?(message: string): void
}

/** A single stream line (a watch response) is far smaller: it holds a few stored keys. */
const MAX_BUFFER = 8 << 20
const MAX_BACKOFF_MS = 1_000

/** PrefixWatcher keeps one watch stream open on one member at a time. */
export class PrefixWatcher {
  readonly #client: EtcdClient
  readonly #prefix: Buffer
  readonly #handlers: WatchHandlers
  readonly #openTimeoutMs: number
  /** The newest revision whose changes have all been reported; 0 before the first stream. */
  #revision = 0
  #failures = 0
  #closed = false
  #request: http.ClientRequest | undefined
  #retry: NodeJS.Timeout | undefined
  readonly #waiters = new Set<{ revision: number; done: () => void }>()

  /**
   * @param openTimeoutMs how long a stream may take to be created (a member that accepts the
   *   connection but never answers, e.g. one still starting, is then left for the next).
   */
  constructor(client: EtcdClient, prefix: Buffer, handlers: WatchHandlers, openTimeoutMs: number) {
    this.#client = client
    this.#prefix = prefix
    this.#handlers = handlers
    this.#openTimeoutMs = openTimeoutMs
  }

  /** start opens the first stream. Never throws; failures are retried. */
  start(): void {
    void this.#open(false)
  }

  /** The newest revision the watch has reported up to (0 when it has not started yet). */
  get revision(): number {
    return this.#revision
  }

  /**
   * waitFor resolves `true` once every change up to `revision` has been reported, or `false`
   * after `timeoutMs` (the watch is down or far behind). Never rejects.
   */
  waitFor(revision: number, timeoutMs: number): Promise<boolean> {
    if (this.#revision >= revision || this.#closed) return Promise.resolve(this.#revision >= revision)
    return new Promise((resolve) => {
      const waiter = {
        revision,
        done: () => {
          clearTimeout(timer)
          this.#waiters.delete(waiter)
          resolve(true)
        },
      }
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter)
        resolve(false)
      }, timeoutMs)
      timer.unref()
      this.#waiters.add(waiter)
    })
  }

  /** close ends the stream and stops retrying. Idempotent. */
  close(): void {
    this.#closed = true
    clearTimeout(this.#retry)
    this.#request?.destroy()
    for (const w of [...this.#waiters]) w.done()
  }

  async #open(rotate: boolean): Promise<void> {
    if (this.#closed) return
    let target
    try {
      target = await this.#client.streamTarget(rotate, AbortSignal.timeout(5_000))
    } catch (err) {
      this.#failed(`watch login failed: ${err instanceof Error ? err.message : String(err)}`)
      return
    }
    if (this.#closed) return
    const create: Record<string, unknown> = { key: b64(this.#prefix), range_end: b64(prefixEnd(this.#prefix)) }
    if (this.#revision > 0) create.start_revision = String(this.#revision + 1)
    const mod = target.url.protocol === 'https:' ? https : http
    const req = mod.request(new URL('/v3/watch', target.url), { method: 'POST', headers: target.headers, agent: target.agent })
    this.#request = req
    let ended = false
    const opening = setTimeout(() => {
      // etcd holds a stream whose token was issued at a raft index it has not reached (restored
      // from an older snapshot) instead of refusing it: log in again for the next stream.
      if (target.headers.Authorization !== undefined) this.#client.forgetToken()
      end(`watch not created within ${this.#openTimeoutMs} ms`)
    }, this.#openTimeoutMs).unref()
    const end = (problem: string) => {
      if (ended) return
      ended = true
      clearTimeout(opening)
      req.destroy()
      if (this.#request === req) this.#request = undefined
      this.#failed(`${target.url.host}: ${problem}`)
    }
    req.on('error', (err) => end(err.message))
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        if (res.statusCode === 401) this.#client.forgetToken()
        res.resume()
        end(`watch refused with HTTP ${res.statusCode}`)
        return
      }
      let buffer = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buffer += chunk
        if (buffer.length > MAX_BUFFER) return end('watch response too large')
        let nl
        while (!ended && (nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).trim()
          buffer = buffer.slice(nl + 1)
          if (line !== '') {
            const problem = this.#onLine(line)
            if (problem !== undefined) end(problem)
            else clearTimeout(opening) // a stream's first answer is its creation: it runs
          }
        }
      })
      res.on('error', (err) => end(err.message))
      res.on('close', () => end('watch stream closed'))
    })
    req.end(JSON.stringify({ create_request: create }))
  }

  /** Handles one watch response; returns why the stream must end, if it must. */
  #onLine(line: string): string | undefined {
    let msg: { result?: WatchResult; error?: { message?: string } }
    try {
      msg = JSON.parse(line) as typeof msg
    } catch {
      return 'unparseable watch response'
    }
    // The texts below are the member's: cut, as they are logged on reconnects for as long as it sends them.
    if (msg.error !== undefined) return `watch ended: ${serverText(String(msg.error.message ?? 'error'))}`
    const result = msg.result
    if (result === undefined) return undefined
    const headerRevision = Number(result.header?.revision ?? 0)
    if (result.canceled === true) {
      if (Number(result.compact_revision ?? 0) > 0) {
        // Compacted past our revision: we cannot know what changed meanwhile. Reset now, and again
        // once the next stream runs: what was cached in between is suspect too.
        this.#handlers.onReset()
        this.#revision = 0
        return 'watch revision compacted'
      }
      // Any other cancel loses nothing: the next stream resumes after our revision, or is told it
      // was compacted. (Resetting here dropped every cached key whenever a member that restarted,
      // or a token that expired, refused the resume: during an outage, just when
      // `cache.expiry.offline` must serve them.)
      const reason = String(result.cancel_reason ?? '')
      // etcd refuses a token it does not know (expired, or issued before this member restarted)
      // by cancelling the watch: log in again, or every retry is refused the same way.
      if (/Unauthenticated|invalid auth token/.test(reason)) this.#client.forgetToken()
      return `watch canceled: ${serverText(reason)}`
    }
    if (result.created === true) {
      if (this.#revision > 0 && headerRevision < this.#revision) {
        // The store is behind what we have seen: restored from a snapshot. This stream resumes at a
        // revision the store may reuse for other changes, which it would skip: start afresh.
        // (A follower that has not yet applied our last revision looks the same for a moment;
        // a needless reset only costs re-reads from a store that answers.)
        const seen = this.#revision
        this.#handlers.onReset()
        this.#revision = 0
        return `etcd's revision went back from ${seen} to ${headerRevision} (restored from a snapshot?)`
      }
      this.#failures = 0
      // A stream without a revision to resume from (the first, or the next after a cancel) starts
      // at etcd's current one: a change made before it, after the caller read the store, is
      // never reported.
      if (this.#revision === 0) {
        this.#handlers.onReset()
        this.#advance(headerRevision)
      }
      return undefined
    }
    let newest = this.#revision
    for (const ev of result.events ?? []) {
      // etcd's JSON gateway omits the event type for PUT (the enum's zero value).
      this.#handlers.onChange(unb64(ev.kv?.key), ev.type === 'DELETE')
      newest = Math.max(newest, Number(ev.kv?.mod_revision ?? 0))
    }
    // A fragmented response carries more events of the same revision: advance only when whole.
    if (result.fragment !== true) this.#advance(newest)
    return undefined
  }

  #advance(revision: number): void {
    if (revision <= this.#revision) return
    this.#revision = revision
    for (const w of [...this.#waiters]) if (w.revision <= revision) w.done()
  }

  #failed(problem: string): void {
    if (this.#closed) return
    // Report the first failure of a series, then about once a minute while it lasts.
    if (this.#failures % 60 === 0) this.#handlers.onProblem?.(problem)
    const delay = Math.min(25 * 2 ** this.#failures, MAX_BACKOFF_MS)
    this.#failures++
    clearTimeout(this.#retry)
    this.#retry = setTimeout(() => void this.#open(true), delay)
    this.#retry.unref()
  }
}

interface WatchResult {
  header?: { revision?: string }
  created?: boolean
  canceled?: boolean
  cancel_reason?: string
  compact_revision?: string
  fragment?: boolean
  events?: { type?: string; kv?: { key?: string; mod_revision?: string } }[]
}
