/**
 * What the S3 pipeline learnt about a request (its API name and the access key that signed it), kept beside
 * the response so that the access log and the metrics, which see only the response, can name them.
 *
 * @module
 */
import type { ServerResponse } from 'node:http'

/** RequestInfo is what the access log and the metrics know of a request besides its URL and status. */
export interface RequestInfo {
  /** The S3 API (`PutObject`, ...) or the admin/ops route (`admin`, `health`, `metrics`). */
  api?: string
  bucket?: string
  object?: string
  /** The access key the request was signed with; never a secret. */
  accessKey?: string
  requestId?: string
}

const infos = new WeakMap<ServerResponse, RequestInfo>()

/** noteRequest merges what is known about a request into its record. Never throws. */
export function noteRequest(res: ServerResponse, info: RequestInfo): void {
  infos.set(res, { ...infos.get(res), ...info })
}

/** requestInfo returns what was noted about a request (empty when nothing). Never throws. */
export function requestInfo(res: ServerResponse): RequestInfo {
  return infos.get(res) ?? {}
}
