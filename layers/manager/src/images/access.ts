// What image import, export and push need of the image store: look a name up, point a name at a
// target. It is the part of containerd's images.Store (Get, Create+Update) those tools use.
//
// Two implementations: ImageStore (images/store.ts, the local table inside strata-manager) and
// RemoteImageStore (client/remoteStores.ts, the Images API of strata-manager or real containerd).
// See content/access.ts for why results may or may not be promises.
import type { MaybePromise } from '../content/access';
import type { Image, ImageInput } from './store';

export interface ImageAccess {
  /** NOT_FOUND if the namespace has no image of that name. */
  get(ns: string, name: string): MaybePromise<Image>;
  /** Create the name, or point it at the new target (its labels merged), as pull and import do. */
  upsert(ns: string, image: ImageInput): MaybePromise<Image>;
}
