// Images for the engine: docker's image model (ids, names, dangling images) over the manager's
// image records and content store, pull/push with docker's progress messages, save/load, and
// the /images routes. See layers/engine/docs/images.md.
export { ImageService, displayRef, imageLabels, type ImageServiceOptions, type ResolvedImage } from './service';
export type { PullOptions } from './pull';
export { pullReference } from './pull';
export { decodeRegistryAuth, type RegistryAuth } from './registry';
export { type JsonMessage, type MessageSink } from './progress';
export { isDangling, shortId, DANGLING_PREFIX } from './names';
export { preloadDefaultImages } from './preload';
export type { RmiResult } from './rmi';
