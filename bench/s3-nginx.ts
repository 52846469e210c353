/**
 * Debian's nginx with WebDAV over TLS: the ceiling for "bytes over TLS to disk" the S3 benchmark compares
 * against. Writes a temp config, runs nginx in the foreground on loopback, and stops it afterwards.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, nginxConfig } from './lib/nginx.js'

/** A running WebDAV nginx. */
export interface DavNginx {
  url: string
  pid: number
  stop(): Promise<void>
}

function waitListening(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy()
        resolve()
      })
      s.on('error', () => (Date.now() > deadline ? reject(new Error('nginx did not start')) : setTimeout(attempt, 50)))
    }
    attempt()
  })
}

/**
 * startDavNginx serves a temp dir with PUT/GET over TLS; throws when nginx is missing or does not start.
 * The dir (gigabytes after a run) is removed by stop() and when the process exits.
 */
export async function startDavNginx(certFile: string, keyFile: string, workers = 2): Promise<DavNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-s3-nginx-'))
  // nginx workers run as nobody: they must be able to write the served tree.
  chmodSync(dir, 0o755)
  mkdirSync(join(dir, 'www'), { mode: 0o777 })
  chmodSync(join(dir, 'www'), 0o777)
  const port = await freePort()
  writeFileSync(join(dir, 'nginx.conf'), nginxConfig({
    dir,
    workers,
    workerConnections: 1024,
    // Under the served tree: a WebDAV PUT renames the buffered body into place, so it must be the same
    // filesystem and writable by the workers.
    clientBodyTempPath: `${dir}/www/.tmp`,
    http: `
  client_max_body_size 0;
  client_body_buffer_size 1m;
  sendfile on;
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${certFile};
    ssl_certificate_key ${keyFile};
    ssl_protocols TLSv1.2 TLSv1.3;
    root ${dir}/www;
    location / {
      dav_methods PUT DELETE;
      create_full_put_path on;
    }
  }
`,
  }))
  const proc: ChildProcess = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' })
  // Debian's nginx-light (or nginx) has the WebDAV module; without it the bench has no reference.
  proc.once('error', (err: NodeJS.ErrnoException) => {
    process.stderr.write(err.code === 'ENOENT' ? 'nginx is not installed: apt-get install nginx-light\n' : `nginx: ${err.message}\n`)
    process.exit(1)
  })
  process.once('exit', () => {
    proc.kill('SIGQUIT')
    rmSync(dir, { recursive: true, force: true })
  })
  await waitListening(port, 10_000)
  return {
    url: `https://127.0.0.1:${port}`,
    pid: proc.pid!,
    stop: () => new Promise((resolve) => {
      proc.once('exit', () => {
        rmSync(dir, { recursive: true, force: true })
        resolve()
      })
      proc.kill('SIGQUIT')
    }),
  }
}
