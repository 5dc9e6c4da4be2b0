// Shapes shared by the manager's stores. They mirror containerd's Go types (ocispec.Descriptor,
// content.Info, snapshots.Info, mount.Mount) so the API layer maps them field for field.

/** image-spec descriptor.md */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  urls?: string[];
  platform?: Platform;
}

/** image-spec image-index.md#platform */
export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

/** A mount as containerd passes it to the shim (containerd.types.Mount). */
export interface Mount {
  type: string;
  source: string;
  target?: string;
  options: string[];
}

export type Labels = Record<string, string>;
