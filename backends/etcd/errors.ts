/**
 * How etcd's gRPC-gateway reports failures, and which of them another member may not have.
 *
 * @module
 */
import { serverText } from '../server-text.js'

/** gRPC status codes the keystore tells apart. */
export const GRPC = {
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  OUT_OF_RANGE: 11,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const

/** EtcdError: etcd answered with an error (`{"error", "code", "message"}` from the gateway). */
export class EtcdError extends Error {
  constructor(
    readonly status: number,
    /** The gRPC status code, or 0 when the answer carried none. */
    readonly grpcCode: number,
    message: string,
  ) {
    super(message)
    this.name = 'EtcdError'
  }

  /** An error that another member, or this one after an election, may not give: try elsewhere. */
  get transient(): boolean {
    return this.grpcCode === GRPC.UNAVAILABLE || this.grpcCode === GRPC.DEADLINE_EXCEEDED ||
      (this.grpcCode === 0 && this.status >= 500)
  }
}

/** EtcdNetworkError: no member answered within the call's deadline; `causes` has one line per attempt. */
export class EtcdNetworkError extends Error {
  constructor(readonly causes: string[]) {
    super(`etcd: no member answered: ${causes.slice(-3).join('; ')}`)
    this.name = 'EtcdNetworkError'
  }
}

/** errorFromAnswer turns a gateway error answer into an EtcdError. Never throws. */
export function errorFromAnswer(status: number, body: unknown): EtcdError {
  const b = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
  const code = typeof b.code === 'number' ? b.code : 0
  const text = typeof b.message === 'string' ? b.message : typeof b.error === 'string' ? b.error : `HTTP ${status}`
  return new EtcdError(status, code, serverText(text))
}
