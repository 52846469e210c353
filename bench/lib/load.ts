/**
 * A small, fast HTTP/1.1-over-mutual-TLS load generator for the KMS benchmarks.
 *
 * Each connection sends one pre-built request, waits for the whole response (Content-Length
 * framing), records the latency and repeats until the time is up: a closed loop, like wrk.
 * In `handshake` mode every request opens a new TLS connection (full handshake: no session
 * is offered for resumption) and sends `Connection: close`.
 *
 * Raw sockets keep the generator's own cost low (node's http client would dominate a 2-core
 * machine); the same generator drives Keyhold and nginx, so their rates compare.
 *
 * @module
 */
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls'

/** What to send and where. */
export interface LoadTarget {
  host: string
  port: number
  /** CA, client certificate and key (mutual TLS). */
  tls: Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'servername'>
  method: string
  path: string
  body?: string
}

/** How to drive it. */
export interface LoadOptions {
  connections: number
  durationMs: number
  mode: 'keepalive' | 'handshake'
}

/** The outcome of one run. */
export interface LoadResult {
  ops: number
  seconds: number
  opsPerSec: number
  p50Ms: number
  p99Ms: number
  /** Responses by status code; network errors under 'error'. */
  statuses: Record<string, number>
}

function buildRequest(t: LoadTarget, close: boolean): Buffer {
  const body = t.body ?? ''
  const head = [
    `${t.method} ${t.path} HTTP/1.1`,
    `Host: ${t.host}:${t.port}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `Connection: ${close ? 'close' : 'keep-alive'}`,
    '',
    '',
  ].join('\r\n')
  return Buffer.from(head + body)
}

/**
 * ResponseReader frames HTTP/1.1 responses on a socket: `next()` resolves with the status of
 * the next complete response. Only Content-Length framing is supported (both servers use it).
 */
class ResponseReader {
  #buf: Buffer = Buffer.alloc(0)
  #waiter: { resolve: (status: number) => void; reject: (err: Error) => void } | undefined
  #error: Error | undefined

  constructor(socket: TLSSocket) {
    socket.on('data', (chunk: Buffer) => {
      this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk])
      this.#tryParse()
    })
    const fail = (err: Error): void => {
      this.#error ??= err
      const w = this.#waiter
      this.#waiter = undefined
      w?.reject(this.#error)
    }
    socket.on('error', fail)
    socket.on('close', () => fail(new Error('connection closed')))
  }

  next(): Promise<number> {
    if (this.#error) return Promise.reject(this.#error)
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject }
      this.#tryParse()
    })
  }

  #tryParse(): void {
    if (!this.#waiter) return
    const end = this.#buf.indexOf('\r\n\r\n')
    if (end < 0) return
    const head = this.#buf.toString('latin1', 0, end)
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head)
    const length = m ? Number(m[1]) : 0
    const total = end + 4 + length
    if (this.#buf.length < total) return
    const status = Number(head.slice(9, 12))
    this.#buf = this.#buf.subarray(total)
    const w = this.#waiter
    this.#waiter = undefined
    w.resolve(status)
  }
}

function open(t: LoadTarget): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: t.host, port: t.port, ...t.tls, servername: t.tls.servername ?? 'localhost', session: undefined }, () => resolve(socket))
    socket.setNoDelay(true)
    socket.once('error', reject)
  })
}

/** percentile of sorted `xs` (nearest rank). */
function percentile(xs: Float64Array, p: number): number {
  if (xs.length === 0) return 0
  return xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!
}

/**
 * runLoad drives `target` and reports throughput and latency. Throws when the first
 * connection cannot be established (a wrong port or certificate), so a broken setup is not
 * reported as zero throughput.
 */
export async function runLoad(target: LoadTarget, options: LoadOptions): Promise<LoadResult> {
  const keepAlive = options.mode === 'keepalive'
  const request = buildRequest(target, !keepAlive)
  const latencies: number[] = []
  const statuses: Record<string, number> = {}
  const count = (k: string): void => void (statuses[k] = (statuses[k] ?? 0) + 1)
  await open(target).then((s) => s.destroy())

  let measuring = false
  let stop = false
  const once = async (socket: TLSSocket, reader: ResponseReader): Promise<void> => {
    const start = performance.now()
    socket.write(request)
    const status = await reader.next()
    if (measuring) {
      latencies.push(performance.now() - start)
      count(String(status))
    }
  }
  const loop = async (): Promise<void> => {
    let socket: TLSSocket | undefined
    let reader: ResponseReader | undefined
    while (!stop) {
      const start = performance.now()
      try {
        if (!socket || !keepAlive) {
          socket = await open(target)
          reader = new ResponseReader(socket)
        }
        if (keepAlive) {
          await once(socket, reader!)
        } else {
          // The handshake is part of the measured request.
          socket.write(request)
          const status = await reader!.next()
          if (measuring) {
            latencies.push(performance.now() - start)
            count(String(status))
          }
          socket.destroy()
        }
      } catch {
        if (measuring) count('error')
        socket?.destroy()
        socket = undefined
      }
    }
    socket?.destroy()
  }
  const loops = Array.from({ length: options.connections }, loop)
  // A short warm-up (JIT, key cache), then measure for the duration.
  await new Promise((r) => setTimeout(r, Math.min(1000, options.durationMs / 5)))
  measuring = true
  const t0 = performance.now()
  await new Promise((r) => setTimeout(r, options.durationMs))
  measuring = false
  const seconds = (performance.now() - t0) / 1000
  stop = true
  await Promise.all(loops)
  const sorted = Float64Array.from(latencies).sort()
  return {
    ops: latencies.length,
    seconds,
    opsPerSec: latencies.length / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    statuses,
  }
}
