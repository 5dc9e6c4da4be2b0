// archive/: image layers as tar streams (containerd's archive package).
//   tarReader / tarWriter   streaming tar (ustar, pax, GNU long names), for layers and image archives
//   compression             gzip/zstd detection, compressed digest and diff_id while reading
//   apply                   applyLayer: safe extraction with overlay or delete whiteouts
//   rootPath                name normalisation and symlink-free walking inside a root
//   syscalls                lgetxattr/llistxattr/lsetxattr and utimensat bindings
export { readTar, readAll, ByteReader, type TarEntry } from './tarReader';
export { TarWriter, tarBuffer, type TarWriterHeader, type TarBufferEntry } from './tarWriter';
export { type TarHeader, type TarEntryType, paxRecord, parsePaxRecords } from './tarHeader';
export { detectCompression, openLayerStream, DigestCounter, type Compression, type LayerStream } from './compression';
export {
  applyLayer,
  makedev,
  major,
  minor,
  WHITEOUT_PREFIX,
  WHITEOUT_META_PREFIX,
  WHITEOUT_OPAQUE,
  OVERLAY_OPAQUE_XATTR,
  type ApplyLayerOptions,
  type ApplyLayerResult,
  type WhiteoutMode,
} from './apply';
export { normalizeEntryName, RootedTree, lstatInside } from './rootPath';
export { lgetxattr, llistxattr, lsetxattr, readXattrs, lutimesNs } from './syscalls';
