// Images: media types, platforms, references, manifest walking, the image store, archives.
export * from './mediaTypes';
export * from './platform';
export * from './reference';
export * from './manifest';
export { ImageStore, validateImageName, validateTarget, type Image, type ImageInput } from './store';
export type { ImageAccess } from './access';
export {
  importImageArchive,
  exportImageArchive,
  buildManifest,
  canonicalJson,
  uncompressedDigest,
  ANNOTATION_IMAGE_NAME,
  ANNOTATION_REF_NAME,
  type ImportOptions,
  type ImportedImage,
  type ExportOptions,
} from './layout';
export { buildImage, buildIndex, type LayerSpec, type BuildImageOptions, type BuiltImage } from './build';
