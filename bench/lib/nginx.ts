/**
 * Debian's nginx as the benchmark's ceiling: the same mutual-TLS handshake and HTTP/1.1 framing
 * as Keyhold, answering a fixed response of the same size with no work behind it.
 *
 * The script writes a temporary config, starts nginx on loopback in the foreground and stops it
 * afterwards. Session resumption is off on both sides, as it is for Keyhold (node does not
 * resume unless a client offers a session, and the load generator never does).
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { treeCpuMs } from './proc.js'

/** A running nginx. */
export interface Nginx {
  port: number
  /** The master process (its workers are its children). */
  pid: number
  /** CPU time used so far by nginx's processes, in ms. */
  cpuMs(): number
  stop(): Promise<void>
}

/** Files and response of the nginx under test. */
export interface NginxOptions {
  certFile: string
  keyFile: string
  caFile: string
  /** The fixed response body. */
  body: string
  /** nginx worker processes (match Keyhold's workers). */
  workers: number
  /** Offer HTTP/2 by ALPN as well (as Keyhold does), for clients that take it. */
  http2?: boolean
  binary?: string
}

/** freePort returns a loopback port that was free a moment ago. Throws when none can be bound. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

/** What {@link nginxConfig} needs to know about one benchmark nginx. */
export interface NginxConfigOptions {
  /** The nginx prefix dir (`-p`): the pid file, the error log and every temp path go inside it. */
  dir: string
  workers: number
  workerConnections: number
  /** Where request bodies are buffered; default `<dir>/body`. */
  clientBodyTempPath?: string
  /** The rest of the `http` block (directives and servers, indented two spaces, starting and ending with a newline). */
  http: string
}

/**
 * nginxConfig returns a foreground nginx.conf whose pid file, error log and temp paths all live in `dir`,
 * so a benchmark nginx needs nothing from the system install (/var/lib/nginx, /run) and leaves nothing
 * behind outside `dir`. Never throws.
 */
export function nginxConfig(o: NginxConfigOptions): string {
  const d = o.dir
  return `
daemon off;
worker_processes ${o.workers};
pid ${d}/nginx.pid;
error_log ${d}/error.log warn;
events { worker_connections ${o.workerConnections}; }
http {
  access_log off;
  client_body_temp_path ${o.clientBodyTempPath ?? `${d}/body`};
  proxy_temp_path ${d}/proxy;
  fastcgi_temp_path ${d}/fastcgi;
  uwsgi_temp_path ${d}/uwsgi;
  scgi_temp_path ${d}/scgi;${o.http}}
`
}

function waitForPort(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const s = createServer()
      s.once('error', () => resolve()) // in use: nginx listens
      s.listen(port, '127.0.0.1', () => {
        s.close(() => (Date.now() > deadline ? reject(new Error('nginx did not start')) : setTimeout(attempt, 50)))
      })
    }
    attempt()
  })
}

/** startNginx starts nginx serving `body`. Throws when nginx is missing or does not start. */
export async function startNginx(o: NginxOptions): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-nginx-'))
  const port = await freePort()
  // nginx's `return` takes a quoted string: the body is JSON without single quotes.
  const conf = nginxConfig({
    dir,
    workers: o.workers,
    workerConnections: 4096,
    http: `
  keepalive_requests 10000000;
  keepalive_timeout 60s;
  server {
    listen 127.0.0.1:${port} ssl${o.http2 === true ? ' http2' : ''};
    ssl_certificate ${o.certFile};
    ssl_certificate_key ${o.keyFile};
    ssl_client_certificate ${o.caFile};
    ssl_verify_client on;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache off;
    ssl_session_tickets off;
    location / {
      default_type application/json;
      return 200 '${o.body}';
    }
  }
`,
  })
  writeFileSync(join(dir, 'nginx.conf'), conf)
  const child: ChildProcess = spawn(o.binary ?? '/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const failed = new Promise<never>((_, reject) => {
    child.once('error', reject)
    void exited.then(() => reject(new Error(`nginx exited: ${stderr.trim()}`)))
  })
  await Promise.race([waitForPort(port, 5000), failed])
  failed.catch(() => undefined)
  return {
    port,
    pid: child.pid!,
    cpuMs: () => treeCpuMs(child.pid!),
    stop: async () => {
      child.kill('SIGQUIT')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
