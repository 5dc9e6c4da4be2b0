// The content store: blobs by digest, namespaced, resumable writes, verified reads.
export { ContentStore, ContentWriter, copyInto, dataLoss, type ContentInfo, type IngestStatus, type WriterOptions, type CommitResult } from './store';
export { parseDigest, isDigest, sha256, Digester, type ParsedDigest } from './digest';
export { validateLabels, applyLabelUpdate, cleanLabels } from './labels';
export type { ContentProvider, ContentIngester, ContentLabeler, ContentAccess, BlobRef, MaybePromise } from './access';
