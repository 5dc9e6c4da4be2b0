// diff/: containerd's diff service and unpacker.
//   apply     Diff.Apply: a layer into a snapshot's mounts, returning its diff_id
//   compare   Diff.Compare: the layer between two mounts (walking differ)
//   changes   the double walk that finds the changes and writes them as tar entries
//   unpack    image layers -> committed snapshots named by chain ID
export {
  apply,
  overlayDirs,
  MEDIA_TYPE_LAYER,
  MEDIA_TYPE_LAYER_GZIP,
  MEDIA_TYPE_LAYER_ZSTD,
  MEDIA_TYPE_DOCKER_LAYER_GZIP,
} from './apply';
export { compare, type CompareOptions, type CompareResult } from './compare';
export { writeChanges, type WriteChangesOptions } from './changes';
export {
  unpack,
  chainIds,
  inheritedLabels,
  unpackKey,
  gcRefSnapshotLabel,
  LABEL_SNAPSHOT_REF,
  LABEL_UNCOMPRESSED,
  type UnpackLayer,
  type UnpackOptions,
  type UnpackResult,
  type ApplyFn,
} from './unpack';
