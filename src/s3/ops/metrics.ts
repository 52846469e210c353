/**
 * Prometheus metrics of keyhold-s3 under MinIO's v2 names (`cmd/metrics-v2.go`) for what it has: S3 requests
 * by API and status, errors, traffic, the time-to-first-byte distribution, requests in flight, objects and usage
 * per bucket, the KMS (online, request success/error/failure, uptime, plus a latency histogram of our own name:
 * MinIO v2 has none), and the process. `cluster` holds everything, `node` the process and request metrics.
 *
 * @module
 */
import { readdirSync } from 'node:fs'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { Kms } from '../kms/kms.js'
import { KMS_LATENCY_BUCKETS } from '../kms/monitor.js'

/** MinIO's TTFB buckets (`httpRequestsDuration`), in seconds. */
const TTFB_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const

/** One bucket's usage. */
export interface BucketUsage {
  bucket: string
  objects: number
  bytes: number
}

/** What the metrics read at scrape time. */
export interface MetricsSources {
  kms?: Kms
  inflight: () => number
  /** Objects and bytes per bucket (every bucket, empty ones included). */
  usage: () => BucketUsage[]
}

/** One finished S3 request, as the metrics count it. */
export interface RequestSample {
  api: string
  status: number
  rx: number
  tx: number
  /** Seconds from arrival to the response's first byte, undefined when nothing was sent. */
  ttfb?: number
}

const processStart = Date.now() / 1000

/** openFds counts this process's open file descriptors (Linux); 0 where /proc is absent. Never throws. */
function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length
  } catch {
    return 0
  }
}

/** ServerMetrics holds the two registries. Methods never throw. */
export class ServerMetrics {
  readonly node = new Registry()
  readonly cluster = new Registry()
  readonly #requests: Counter<'api'>
  readonly #errors: Counter<'api'>
  readonly #errors4xx: Counter<'api'>
  readonly #errors5xx: Counter<'api'>
  readonly #received: Counter
  readonly #sent: Counter
  readonly #ttfb: Counter<'api' | 'le'>
  readonly #kmsLatency: Histogram
  readonly #kmsOnlineSince = Date.now()

  constructor(private readonly sources: MetricsSources) {
    const both = [this.node, this.cluster]
    this.#requests = new Counter({ name: 'minio_s3_requests_total', help: 'Total number of S3 requests', labelNames: ['api'], registers: both })
    this.#errors = new Counter({ name: 'minio_s3_requests_errors_total', help: 'Total number of S3 requests with (4xx and 5xx) errors', labelNames: ['api'], registers: both })
    this.#errors4xx = new Counter({ name: 'minio_s3_requests_4xx_errors_total', help: 'Total number of S3 requests with (4xx) errors', labelNames: ['api'], registers: both })
    this.#errors5xx = new Counter({ name: 'minio_s3_requests_5xx_errors_total', help: 'Total number of S3 requests with (5xx) errors', labelNames: ['api'], registers: both })
    this.#received = new Counter({ name: 'minio_s3_traffic_received_bytes', help: 'Total number of s3 bytes received', registers: both })
    this.#sent = new Counter({ name: 'minio_s3_traffic_sent_bytes', help: 'Total number of s3 bytes sent', registers: both })
    // MinIO exposes the distribution as cumulative counters labelled `le`, not as a Prometheus histogram.
    this.#ttfb = new Counter({ name: 'minio_s3_requests_ttfb_seconds_distribution', help: 'Distribution of time to first byte across API calls', labelNames: ['api', 'le'], registers: both })
    new Gauge({ name: 'minio_s3_requests_inflight_total', help: 'Total number of S3 requests currently in flight', registers: both, collect() { this.set(sources.inflight()) } })
    this.processMetrics()
    this.usageMetrics()
    this.#kmsLatency = new Histogram({ name: 'keyhold_s3_kms_request_duration_seconds', help: 'Latency of the requests keyhold-s3 made to its KMS', buckets: [...KMS_LATENCY_BUCKETS], registers: [this.cluster] })
    sources.kms?.monitor?.onLatency((seconds) => this.#kmsLatency.observe(seconds))
    this.kmsMetrics()
  }

  /** observe counts one finished S3 request. */
  observe(s: RequestSample): void {
    const api = s.api
    this.#requests.inc({ api })
    if (s.status >= 400) this.#errors.inc({ api })
    if (s.status >= 400 && s.status < 500) this.#errors4xx.inc({ api })
    if (s.status >= 500) this.#errors5xx.inc({ api })
    if (s.rx > 0) this.#received.inc(s.rx)
    if (s.tx > 0) this.#sent.inc(s.tx)
    if (s.ttfb !== undefined) {
      for (const le of TTFB_BUCKETS) if (s.ttfb <= le) this.#ttfb.inc({ api, le: String(le) })
      this.#ttfb.inc({ api, le: '+Inf' })
    }
  }

  private processMetrics(): void {
    const both = [this.node, this.cluster]
    new Gauge({ name: 'minio_node_process_starttime_seconds', help: 'Start time for MinIO process per node, time in seconds since Unix epoc', registers: both, collect() { this.set(processStart) } })
    new Gauge({ name: 'minio_node_process_uptime_seconds', help: 'Uptime for MinIO process per node in seconds', registers: both, collect() { this.set(process.uptime()) } })
    new Gauge({ name: 'minio_node_process_resident_memory_bytes', help: 'Resident memory size in bytes', registers: both, collect() { this.set(process.memoryUsage().rss) } })
    new Gauge({ name: 'minio_node_process_cpu_total_seconds', help: 'Total user and system CPU time spent in seconds', registers: both, collect() {
      const u = process.cpuUsage()
      this.set((u.user + u.system) / 1e6)
    } })
    new Gauge({ name: 'minio_node_file_descriptor_open_total', help: 'Total number of open file descriptors by the MinIO Server process', registers: both, collect() { this.set(openFds()) } })
  }

  private usageMetrics(): void {
    const sources = this.sources
    const reg = [this.cluster]
    const perBucket = (): BucketUsage[] => {
      try {
        return sources.usage()
      } catch {
        return []
      }
    }
    new Gauge({ name: 'minio_bucket_usage_object_total', help: 'Total number of objects', labelNames: ['bucket'], registers: reg, collect() {
      this.reset()
      for (const u of perBucket()) this.set({ bucket: u.bucket }, u.objects)
    } })
    new Gauge({ name: 'minio_bucket_usage_total_bytes', help: 'Total bucket size in bytes', labelNames: ['bucket'], registers: reg, collect() {
      this.reset()
      for (const u of perBucket()) this.set({ bucket: u.bucket }, u.bytes)
    } })
    new Gauge({ name: 'minio_cluster_usage_object_total', help: 'Total number of objects in a cluster', registers: reg, collect() {
      this.set(perBucket().reduce((n, u) => n + u.objects, 0))
    } })
    new Gauge({ name: 'minio_cluster_usage_total_bytes', help: 'Total cluster usage in bytes', registers: reg, collect() {
      this.set(perBucket().reduce((n, u) => n + u.bytes, 0))
    } })
    new Gauge({ name: 'minio_cluster_bucket_total', help: 'Total number of buckets in the cluster', registers: reg, collect() {
      this.set(perBucket().length)
    } })
  }

  private kmsMetrics(): void {
    const monitor = this.sources.kms?.monitor
    if (monitor === undefined) return
    const reg = [this.cluster]
    const since = this.#kmsOnlineSince
    new Gauge({ name: 'minio_cluster_kms_online', help: 'Reports whether the KMS is online (1) or offline (0)', registers: reg, collect() { this.set(monitor.online ? 1 : 0) } })
    new Gauge({ name: 'minio_cluster_kms_request_success', help: 'Number of KMS requests that succeeded', registers: reg, collect() { this.set(monitor.stats().success) } })
    new Gauge({ name: 'minio_cluster_kms_request_error', help: 'Number of KMS requests that failed due to some error. (HTTP 4xx status code)', registers: reg, collect() { this.set(monitor.stats().error) } })
    new Gauge({ name: 'minio_cluster_kms_request_failure', help: 'Number of KMS requests that failed due to some internal failure. (HTTP 5xx status code)', registers: reg, collect() { this.set(monitor.stats().failure) } })
    new Gauge({ name: 'minio_cluster_kms_uptime', help: 'The time the KMS has been up and running in seconds.', registers: reg, collect() {
      const s = monitor.stats()
      this.set(s.online ? Math.floor((Date.now() - Math.max(since, s.since)) / 1000) : 0)
    } })
  }

  /** render returns one registry's exposition text and its content type. */
  async render(which: 'node' | 'cluster'): Promise<{ contentType: string; body: string }> {
    const reg = which === 'node' ? this.node : this.cluster
    return { contentType: reg.contentType, body: await reg.metrics() }
  }
}
