/**
 * `Expect: 100-continue`, answered only when the body is wanted. A client that sends this header (the aws CLI
 * and boto3 for uploads, curl for bodies over 1 MiB) holds its body back until the server says `100 Continue`.
 * Node says it at once by default, before the request is even authenticated, so a client with a wrong key or
 * no permission sends its whole body only to be refused. Here the interim answer waits until a handler first
 * reads the body: a request refused on its headers is answered with its final status and no body is sent.
 * Node then closes the connection, since the client's next bytes could be that unsent body.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

/** Requests whose `100 Continue` is held back until their body is first read. */
const held = new WeakSet<IncomingMessage>()

/**
 * continueOnFirstRead holds `req`'s `100 Continue` until something first reads its body (a handler piping it,
 * the form reader), and sends it then if no answer was started. Throws nothing.
 */
export function continueOnFirstRead(req: IncomingMessage, res: ServerResponse): void {
  held.add(req)
  const read = req._read
  // Readable asks _read for data on the first read(), pipe() or 'data' listener: the moment the body is wanted.
  req._read = function firstRead(this: IncomingMessage, size: number): void {
    req._read = read
    if (held.delete(req) && !res.headersSent) res.writeContinue()
    read.call(this, size)
  }
}

/**
 * forgoContinue gives up `req`'s held `100 Continue`: the request is being answered without its body, and a
 * drain of whatever the client sends anyway must not invite the body. Throws nothing.
 */
export function forgoContinue(req: IncomingMessage): void {
  held.delete(req)
}
