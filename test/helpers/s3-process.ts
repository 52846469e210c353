/**
 * keyhold-s3 as a real child process (for kill -9 tests): start it on a data directory and certificates
 * directory, and an AWS SDK client trusting the test CA.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { copyFileSync, mkdirSync } from 'node:fs'
import { Agent } from 'node:https'
import { join } from 'node:path'
import { S3Client } from '@aws-sdk/client-s3'
import type { TestPki } from './pki.js'
import { ROOT_PASSWORD, ROOT_USER } from './s3.js'

/** writeCerts puts the test server certificate into `dir` as keyhold-s3's --certs-dir expects. */
export function writeCerts(pki: TestPki, dir: string): string {
  mkdirSync(dir, { recursive: true })
  copyFileSync(pki.server.certFile, join(dir, 'public.crt'))
  copyFileSync(pki.server.keyFile, join(dir, 'private.key'))
  return dir
}

/**
 * startS3Process runs `keyhold-s3 server` as a real process, with `env` added (a KMS, say), and resolves its URL
 * from the banner; rejects when it exits or does not start within 60 s. The caller kills it (procs collects
 * every process started).
 */
export function startS3Process(dataDir: string, certsDir: string, procs: ChildProcess[], env: NodeJS.ProcessEnv = {}): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, ['bin/keyhold-s3.js', 'server', dataDir, '--address', '127.0.0.1:0', '--certs-dir', certsDir], {
    env: { ...process.env, KEYHOLD_FROM_SOURCE: '1', MINIO_ROOT_USER: ROOT_USER, MINIO_ROOT_PASSWORD: ROOT_PASSWORD, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  procs.push(proc)
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 60_000)
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      const m = /serving the S3 API at (https:\/\/\S+)/.exec(out)
      if (m !== null) {
        clearTimeout(timer)
        resolve({ proc, url: m[1]! })
      }
    })
    proc.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)))
  })
}

/** processClient is an AWS SDK client for a server started by {@link startS3Process} (one attempt per request). */
export function processClient(url: string, pki: TestPki): S3Client {
  return new S3Client({
    endpoint: url, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1,
    credentials: { accessKeyId: ROOT_USER, secretAccessKey: ROOT_PASSWORD },
    requestHandler: { httpsAgent: new Agent({ ca: pki.ca.certPem, keepAlive: true }) },
  })
}
