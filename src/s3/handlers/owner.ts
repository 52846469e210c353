/**
 * The one owner keyhold-s3 names in its answers: it keeps no per-bucket owners (as MinIO, which names one fixed
 * owner), so listings, ACLs and uploads all show the same ID and DisplayName, and clients that print an owner
 * (s3cmd info) or compare grants with a listing's owner see one.
 *
 * @module
 */
import type { XNode } from '../api/xml.js'

/** The owner's ID and DisplayName. */
export const OWNER_NAME = 'keyhold-s3'

/** The ID and DisplayName elements, for an Owner, an Initiator or a Grantee. */
export const OWNER_FIELDS: XNode[] = [['ID', OWNER_NAME], ['DisplayName', OWNER_NAME]]

/** The Owner element. */
export const OWNER: XNode = ['Owner', OWNER_FIELDS]
