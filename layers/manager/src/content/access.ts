// What code outside the content store may ask of it, as small interfaces (containerd's content
// package splits its Store the same way: content.Provider reads, content.InfoProvider answers
// Info, content.Ingester writes, content.Manager updates labels).
//
// Two implementations:
//   ContentStore         (content/store.ts)       the local store, inside strata-manager
//   RemoteContentStore   (client/remoteStores.ts) the same calls over containerd's Content API,
//                                                 so a client (strata-ctr) against strata-manager
//                                                 or real containerd runs the same import, export
//                                                 and push code
//
// The local store answers some calls at once (a SQLite lookup); the remote one needs a round
// trip. Hence `MaybePromise`: callers always `await`, and both fit without adapters. Every call
// keeps the namespace argument; the remote store's namespace is its client's (it refuses another).
import type { Readable } from 'node:stream';
import type { Descriptor, Labels } from '../types';
import type { ContentInfo } from './store';

export type MaybePromise<T> = T | Promise<T>;

/** A blob named by digest, or by a descriptor whose size is checked too. */
export type BlobRef = string | Pick<Descriptor, 'digest' | 'size'>;

/** Reading (containerd's content.Provider and content.InfoProvider). */
export interface ContentProvider {
  /** Whether the namespace can see the blob. */
  has(ns: string, digest: string): MaybePromise<boolean>;
  /** Size and labels; NOT_FOUND if the namespace does not have the blob. */
  info(ns: string, digest: string): MaybePromise<ContentInfo>;
  /** A byte range (size <= 0: to the end). Not verified: only whole blobs can be. */
  read(ns: string, digest: string, offset?: number, size?: number): Promise<Buffer>;
  /**
   * A stream of the blob. Read whole (no offset, no length) it is verified: a size or digest that
   * does not match fails the stream with DATA_LOSS at the end.
   */
  reader(ns: string, blob: BlobRef, opts?: { offset?: number; length?: number }): Readable;
  /** The whole blob in memory, verified (manifests, indexes, configs). */
  readBlob(ns: string, blob: BlobRef): Promise<Buffer>;
}

/** Writing (containerd's content.Ingester, used through content.WriteBlob). */
export interface ContentIngester {
  /**
   * Write a whole blob, verified against desc.digest/size when given. A blob the namespace has
   * already is not written again: `existed` is true and the labels, if any, are merged in.
   */
  put(
    ns: string,
    desc: { digest?: string; size?: number },
    data: Buffer | string | Readable | AsyncIterable<Buffer>,
    labels?: Labels,
  ): Promise<{ digest: string; size: number; existed: boolean }>;
}

/** Label updates (the Update of containerd's content.Manager): "labels" or "labels.<key>" fieldpaths. */
export interface ContentLabeler {
  update(ns: string, info: { digest: string; labels?: Labels }, fieldpaths?: readonly string[]): MaybePromise<ContentInfo>;
}

/** Everything image import/export (images/layout.ts) uses. Push and export only read: ContentProvider. */
export interface ContentAccess extends ContentProvider, ContentIngester, ContentLabeler {}
