import { createServer, type AddressInfo } from 'node:net'

/** freePort finds a loopback port nothing listens on, for a child process that must be told its port up front. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
