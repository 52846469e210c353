/**
 * Prometheus metrics of one KMS server: a private prom-client Registry (never the global one, so
 * parallel servers in one process do not mix) with KES's metric names, plus keystore latency and
 * key-cache counters of our own.
 *
 * kms-go's decoder rejects a family without samples, so {@link renderMetrics} drops them (a
 * labelled counter has no sample until its first label value is seen).
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'

/** KES's response-time buckets, in seconds. */
const RESPONSE_TIME_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 3, 5, 10]

/** Keystore calls are mostly sub-millisecond (memory, fs) or a network round trip (Vault). */
const KEYSTORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

/** The text exposition format KES serves by default. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/** Options of {@link KmsMetrics}. */
export interface MetricsOptions {
  /** When the server started (for kes_system_up_time); defaults to now. */
  startedAt?: Date
  /** How many CPUs this process uses (KES: GOMAXPROCS); a worker uses one. */
  cpusUsed?: number
}

async function threadCount(): Promise<number> {
  try {
    const status = await readFile('/proc/self/status', 'utf8')
    const m = /^Threads:\s+(\d+)$/m.exec(status)
    if (m) return Number(m[1])
  } catch {
    // Not Linux: fall through.
  }
  // The main thread plus libuv's default thread pool.
  return 1 + Number(process.env.UV_THREADPOOL_SIZE ?? 4)
}

/** KmsMetrics holds the metrics of one server. Methods throw nothing. */
export class KmsMetrics {
  readonly registry = new Registry()
  readonly #success: Counter<'code'>
  readonly #error: Counter<'code'>
  readonly #failure: Counter<'code'>
  readonly #active: Gauge
  readonly #responseTime: Histogram
  readonly #errorEvents: Counter
  readonly #auditEvents: Counter
  readonly #keystore: Histogram
  readonly #cacheHits: Counter
  readonly #cacheMisses: Counter

  constructor(options: MetricsOptions = {}) {
    const startedAt = options.startedAt ?? new Date()
    const cpusUsed = options.cpusUsed ?? 1
    const registers = [this.registry]
    this.#success = new Counter({ name: 'kes_http_request_success', help: 'Number of requests that have been served successfully.', labelNames: ['code'], registers })
    this.#error = new Counter({ name: 'kes_http_request_error', help: 'Number of request that failed due to some error. (HTTP 4xx status code)', labelNames: ['code'], registers })
    this.#failure = new Counter({ name: 'kes_http_request_failure', help: 'Number of request that failed due to some internal failure. (HTTP 5xx status code)', labelNames: ['code'], registers })
    this.#active = new Gauge({ name: 'kes_http_request_active', help: 'Number of active requests that are not finished, yet.', registers })
    this.#responseTime = new Histogram({ name: 'kes_http_response_time', help: 'Histogram of request response times spawning from start to end of the request, in seconds.', buckets: RESPONSE_TIME_BUCKETS, registers })
    this.#errorEvents = new Counter({ name: 'kes_log_error_events', help: 'Number of error log events written to the error log targets.', registers })
    this.#auditEvents = new Counter({ name: 'kes_log_audit_events', help: 'Number of audit log events written to the audit log targets.', registers })
    new Gauge({ name: 'kes_system_up_time', help: 'The time the server has been up and running in seconds.', registers, aggregator: 'max',
      collect() { this.set((Date.now() - startedAt.getTime()) / 1000) } })
    new Gauge({ name: 'kes_system_num_cpu', help: 'The number of logical CPU cores available on the system.', registers, aggregator: 'first',
      collect() { this.set(availableParallelism()) } })
    new Gauge({ name: 'kes_system_num_cpu_used', help: 'The number of logical CPU cores used by the server.', registers,
      collect() { this.set(cpusUsed) } })
    new Gauge({ name: 'kes_system_num_threads', help: 'The number of threads of the server processes.', registers,
      async collect() { this.set(await threadCount()) } })
    new Gauge({ name: 'kes_system_mem_heap_used', help: 'The number of bytes allocated on the heap.', registers,
      collect() { this.set(process.memoryUsage().heapUsed) } })
    // kes_system_mem_heap_objects and kes_system_mem_stack_used have no V8 counterpart (no live
    // object count, no separate stack accounting): omitted rather than reported as a made-up number.
    this.#keystore = new Histogram({ name: 'keyhold_keystore_latency_seconds', help: 'Latency of keystore calls (cache misses and writes), in seconds.', buckets: KEYSTORE_BUCKETS, registers })
    this.#cacheHits = new Counter({ name: 'keyhold_key_cache_hits', help: 'Key lookups answered from the key cache.', registers })
    this.#cacheMisses = new Counter({ name: 'keyhold_key_cache_misses', help: 'Key lookups that went to the keystore.', registers })
  }

  /** requestStarted counts an in-flight request; call the returned function once when it ends. */
  requestStarted(): () => void {
    this.#active.inc()
    let ended = false
    return () => {
      if (ended) return
      ended = true
      this.#active.dec()
    }
  }

  /** observeResponse counts a finished request by status class and records its duration. */
  observeResponse(status: number, seconds: number): void {
    const code = String(status)
    if (status >= 500) this.#failure.inc({ code })
    else if (status >= 400) this.#error.inc({ code })
    else this.#success.inc({ code })
    this.#responseTime.observe(seconds)
  }

  /** auditEvent counts one audit log event. */
  auditEvent(): void {
    this.#auditEvents.inc()
  }

  /** errorEvent counts one error log event. */
  errorEvent(): void {
    this.#errorEvents.inc()
  }

  /** observeKeystore records the duration of one keystore call. */
  observeKeystore(seconds: number): void {
    this.#keystore.observe(seconds)
  }

  /** cacheHit counts a key found in the key cache. */
  cacheHit(): void {
    this.#cacheHits.inc()
  }

  /** cacheMiss counts a key the cache had to fetch from the keystore. */
  cacheMiss(): void {
    this.#cacheMisses.inc()
  }

  /**
   * render returns this process's metrics in the text format, without empty families (a cluster
   * worker's sum over all workers comes from its ObservabilityHooks). Throws nothing.
   */
  async render(): Promise<string> {
    return dropEmptyFamilies(await this.registry.metrics())
  }
}

/**
 * dropEmptyFamilies removes `# HELP`/`# TYPE` blocks that have no sample lines. Throws nothing.
 */
export function dropEmptyFamilies(text: string): string {
  const out: string[] = []
  let header: string[] = []
  for (const line of text.split('\n')) {
    if (line === '') continue
    if (line.startsWith('#')) {
      // A HELP line opens a new family: an unflushed header before it had no samples.
      if (line.startsWith('# HELP')) header = []
      header.push(line)
      continue
    }
    if (header.length > 0) {
      out.push(...header)
      header = []
    }
    out.push(line)
  }
  return out.length > 0 ? `${out.join('\n')}\n` : ''
}
