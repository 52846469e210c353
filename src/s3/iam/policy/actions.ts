/**
 * The actions the policy language knows, so that a policy naming an unknown one (e.g.
 * `s3:ListObjects`, which MinIO rejects too) fails with a precise MalformedPolicy error.
 *
 * @module
 */
import { wildcardMatch } from './wildcard.js'

const S3 = [
  'AbortMultipartUpload', 'CreateBucket', 'DeleteBucket', 'ForceDeleteBucket', 'DeleteBucketPolicy',
  'DeleteBucketCors', 'DeleteObject', 'GetBucketLocation', 'GetBucketNotification', 'GetBucketPolicy',
  'GetBucketCors', 'GetObject', 'GetObjectAttributes', 'HeadBucket', 'ListAllMyBuckets', 'ListBucket',
  'GetBucketPolicyStatus', 'ListBucketVersions', 'ListBucketMultipartUploads', 'ListenNotification',
  'ListenBucketNotification', 'ListMultipartUploadParts', 'PutLifecycleConfiguration',
  'GetLifecycleConfiguration', 'PutBucketNotification', 'PutBucketPolicy', 'PutBucketCors', 'PutObject',
  'DeleteObjectVersion', 'DeleteObjectVersionTagging', 'GetObjectVersion', 'GetObjectVersionAttributes',
  'GetObjectVersionTagging', 'PutObjectVersionTagging', 'BypassGovernanceRetention', 'PutObjectRetention',
  'GetObjectRetention', 'GetObjectLegalHold', 'PutObjectLegalHold', 'GetBucketObjectLockConfiguration',
  'PutBucketObjectLockConfiguration', 'GetBucketTagging', 'PutBucketTagging', 'GetObjectTagging',
  'PutObjectTagging', 'DeleteObjectTagging', 'PutEncryptionConfiguration', 'GetEncryptionConfiguration',
  'PutBucketVersioning', 'GetBucketVersioning', 'GetReplicationConfiguration', 'PutReplicationConfiguration',
  'ReplicateObject', 'ReplicateDelete', 'ReplicateTags', 'GetObjectVersionForReplication', 'RestoreObject',
  'ResetBucketReplicationState', 'PutObjectFanOut',
].map((a) => `s3:${a}`)

const ADMIN = [
  'Heal', 'StorageInfo', 'DataUsageInfo', 'TopLocksInfo', 'Profiling', 'ServerTrace', 'ConsoleLog',
  'KMSCreateKey', 'KMSKeyStatus', 'ServerInfo', 'OBDInfo', 'HealthInfo', 'BandwidthMonitor', 'Prometheus',
  'ServerUpdate', 'ServiceRestart', 'ServiceStop', 'ServiceFreeze', 'ConfigUpdate', 'CreateUser',
  'DeleteUser', 'ListUsers', 'EnableUser', 'DisableUser', 'GetUser', 'AddUserToGroup',
  'RemoveUserFromGroup', 'GetGroup', 'ListGroups', 'EnableGroup', 'DisableGroup', 'CreateServiceAccount',
  'UpdateServiceAccount', 'RemoveServiceAccount', 'ListServiceAccounts', 'ListTemporaryAccounts',
  'CreatePolicy', 'DeletePolicy', 'GetPolicy', 'AttachUserOrGroupPolicy', 'UpdatePolicyAssociation',
  'ListUserPolicies', 'SetBucketQuota', 'GetBucketQuota', 'SetBucketTarget', 'GetBucketTarget',
  'ReplicationDiff', 'ImportBucketMetadata', 'ExportBucketMetadata', 'SetTier', 'ListTier',
  'ExportIAM', 'ImportIAM', 'ListBatchJobs', 'DescribeBatchJob', 'StartBatchJob', 'CancelBatchJob',
  'Rebalance', 'SiteReplicationAdd', 'SiteReplicationInfo', 'SiteReplicationOperation', 'SiteReplicationRemove',
  'ServerPoolInfo', 'DecommissionStart', 'DecommissionCancel', 'InspectData', 'ClusterInfo',
].map((a) => `admin:${a}`)

const KMS = ['Status', 'Metrics', 'API', 'Version', 'CreateKey', 'DeleteKey', 'ListKeys', 'KeyStatus'].map((a) => `kms:${a}`)
const STS = ['AssumeRole'].map((a) => `sts:${a}`)

/** KNOWN_ACTIONS lists every concrete action a policy may name. */
const KNOWN_ACTIONS: readonly string[] = [...S3, ...ADMIN, ...KMS, ...STS]
const KNOWN = new Set(KNOWN_ACTIONS)

/** isKnownAction reports whether `action` (possibly with wildcards) names at least one known action. Never throws. */
export function isKnownAction(action: string): boolean {
  if (KNOWN.has(action)) return true
  if (!action.includes('*') && !action.includes('?')) return false
  return KNOWN_ACTIONS.some((a) => wildcardMatch(action, a))
}

/** isResourceless reports whether statements about `action` ignore Resource (admin, STS, KMS without Resource). */
export function isResourceless(action: string): boolean {
  return action.startsWith('admin:') || action.startsWith('sts:') || action.startsWith('kms:')
}
