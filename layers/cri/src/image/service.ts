// The CRI ImageService on top of the manager's API, as containerd's CRI plugin does it: a pull
// is the client-side pull (resolve, fetch into the manager's content store, unpack into the
// snapshotter) followed by naming the image three ways (names.ts); status and list read the
// manager's image records of namespace k8s.io and group them by image id (the config digest).
import { chainIds, distribution, pullWithClient, resolveImage, ManagerError, type ManagerClient, type Descriptor, type ImageConfig } from '@strata/manager';
import { invalidField } from '../runtime/errors';
import type * as cri from '../api/protos';
import { parseAuth, useRegistryToken } from './auth';
import { classify, isShortHex, MANAGED_LABEL, MANAGED_VALUE, parseImageName, recordNames } from './names';
import { imageFsUsage } from './fsinfo';

export interface ImageServiceOptions {
  client: ManagerClient;
  /** Registry name -> mirror URLs tried first (e.g. registry.k8s.io -> http://127.0.0.1:5000). */
  mirrors: Record<string, string[]>;
  /** Registry names reached over plain http. */
  insecure?: string[];
  /** Mirrors only: a mirrored registry itself is never contacted. */
  offline?: boolean;
  snapshotter: string;
  /** The sandbox (pause) image: reported as pinned, as the kubelet must never garbage-collect it. */
  pauseImage?: string;
  /** Where the snapshotter keeps its data (ImageFsInfo's mountpoint), when known. */
  snapshotterRoot?: string;
  log?: (msg: string) => void;
}

/** What an image record's target resolves to (immutable: cached by target digest). */
interface Described {
  id: string;
  size: number;
  config: ImageConfig;
  chainId: string;
}

interface Aggregate extends Described {
  names: string[];
  target: Descriptor;
}

export class CriImageService {
  private readonly described = new Map<string, Described>();

  constructor(private readonly o: ImageServiceOptions) {}

  private async describe(target: Descriptor): Promise<Described> {
    const hit = this.described.get(target.digest);
    if (hit) return hit;
    const { manifest, config } = await resolveImage(this.o.client, target);
    const m = manifest.manifest;
    // containerd's image size: the manifest, its config and its (compressed) layers.
    const size = manifest.desc.size + m.config.size + m.layers.reduce((n, l) => n + l.size, 0);
    const chain = chainIds(config.rootfs.diff_ids);
    const d: Described = { id: m.config.digest, size, config, chainId: chain[chain.length - 1] ?? '' };
    this.described.set(target.digest, d);
    return d;
  }

  /** Every image of the namespace, by id. Records whose content is incomplete are skipped. */
  private async all(): Promise<Map<string, Aggregate>> {
    const out = new Map<string, Aggregate>();
    for (const rec of await this.o.client.images.list()) {
      if (!rec.target) continue;
      let d: Described;
      try {
        d = await this.describe(rec.target);
      } catch (e) {
        this.o.log?.(`image ${rec.name}: skipped (${(e as Error).message})`);
        continue;
      }
      const agg: Aggregate = out.get(d.id) ?? { ...d, names: [], target: rec.target };
      agg.names.push(rec.name);
      out.set(d.id, agg);
    }
    return out;
  }

  /** Find one image by reference, id or short id; undefined when there is none. */
  private async find(input: string, field: string): Promise<Aggregate | undefined> {
    const n = parseImageName(input, field);
    const images = await this.all();
    if (n.kind === 'id') return images.get(n.id);
    if (n.kind === 'ref') {
      for (const img of images.values()) if (img.names.includes(n.name)) return img;
      // "abc123" is also a valid name (docker.io/library/abc123:latest); when no image has
      // that name, read it as the truncated id crictl prints.
      if (!isShortHex(input)) return undefined;
    }
    const prefix = n.kind === 'idPrefix' ? n.prefix : input;
    const matches = [...images.values()].filter((i) => i.id.slice('sha256:'.length).startsWith(prefix));
    return matches.length === 1 ? matches[0] : undefined;
  }

  private toCri(img: Aggregate): cri.Image {
    const user = img.config.config?.User ?? '';
    const userPart = user.split(':')[0];
    const numeric = /^\d+$/.test(userPart);
    const pause = this.o.pauseImage ? safeNormalize(this.o.pauseImage) : undefined;
    const repoTags = img.names.filter((n) => classify(n) === 'tag').sort();
    return {
      id: img.id,
      repoTags,
      repoDigests: img.names.filter((n) => classify(n) === 'digest').sort(),
      size: img.size,
      uid: numeric ? { value: Number(userPart) } : undefined,
      username: numeric ? '' : userPart,
      spec: { image: img.id, annotations: {}, userSpecifiedImage: '', runtimeHandler: '' },
      pinned: !!pause && repoTags.includes(pause),
    };
  }

  /**
   * Where pulls go. Mirrors are tried in order, then the registry itself (containerd's
   * hosts.toml semantics). Offline, the last mirror takes the registry's own place, so a name the
   * mirrors lack is NOT_FOUND instead of a request to the internet.
   */
  private hostsConfig(): { mirrors: Record<string, string[]>; endpoints?: Record<string, string> } {
    if (!this.o.offline) return { mirrors: this.o.mirrors };
    const mirrors: Record<string, string[]> = {};
    const endpoints: Record<string, string> = {};
    for (const [host, urls] of Object.entries(this.o.mirrors)) {
      if (!urls.length) continue;
      mirrors[host] = urls.slice(0, -1);
      endpoints[host] = urls[urls.length - 1];
    }
    return { mirrors, endpoints };
  }

  // --- RPCs ------------------------------------------------------------------------------------

  async ListImages(req: cri.ListImagesRequest): Promise<cri.ListImagesResponse> {
    const wanted = req.filter?.image?.image;
    if (wanted) {
      const img = await this.find(wanted, 'filter.image.image');
      return { images: img ? [this.toCri(img)] : [] };
    }
    const images = [...(await this.all()).values()].map((i) => this.toCri(i));
    return { images: images.sort((a, b) => a.id.localeCompare(b.id)) };
  }

  async ImageStatus(req: cri.ImageStatusRequest): Promise<cri.ImageStatusResponse> {
    const img = await this.find(req.image?.image ?? '', 'image.image');
    if (!img) return { image: undefined, info: {} };
    const info: Record<string, string> = {};
    if (req.verbose) info.info = JSON.stringify({ imageSpec: img.config, chainID: img.chainId, target: img.target, names: img.names }, null, 2);
    return { image: this.toCri(img), info };
  }

  async PullImage(req: cri.PullImageRequest): Promise<cri.PullImageResponse> {
    const n = parseImageName(req.image?.image ?? '', 'image.image');
    if (n.kind !== 'ref') throw invalidField('image.image', `${req.image?.image}: an image id cannot be pulled (give a reference such as registry.k8s.io/pause:3.9)`);
    const auth = parseAuth(req.auth);
    const registry = new distribution.RegistryClient({
      ...this.hostsConfig(),
      insecure: this.o.insecure,
      credentials: auth.credentials ? { [n.ref.domain]: auth.credentials } : undefined,
    });
    if (auth.registryToken) useRegistryToken(registry, auth.registryToken);
    const t0 = Date.now();
    const r = await pullWithClient(this.o.client, n.name, { registry, unpack: this.o.snapshotter });
    const id = (await this.describe(r.target)).id;
    for (const name of recordNames(n.ref, r.target.digest, id)) {
      await this.o.client.images.put({ name, target: r.target, labels: { [MANAGED_LABEL]: MANAGED_VALUE } });
    }
    this.o.log?.(`pulled ${n.name} (${id}) in ${Date.now() - t0} ms, ${r.bytesFetched} bytes fetched`);
    return { imageRef: id };
  }

  async RemoveImage(req: cri.RemoveImageRequest): Promise<Record<string, never>> {
    const img = await this.find(req.image?.image ?? '', 'image.image');
    // Removing an image that is not there succeeds (the kubelet's GC may race with itself).
    if (!img) return {};
    // Every name of the image goes (tags, digests, the id), as containerd's CRI plugin does; the
    // id last, so an interrupted removal can be finished by removing the id again.
    const names = [...img.names].sort((a, b) => Number(classify(a) === 'id') - Number(classify(b) === 'id'));
    for (const name of names) {
      await this.o.client.images.delete(name).catch((e) => {
        if (!(e instanceof ManagerError && e.code === 'NOT_FOUND')) throw e;
      });
    }
    this.described.delete(img.target.digest);
    return {};
  }

  async ImageFsInfo(): Promise<cri.ImageFsInfoResponse> {
    const usage = await imageFsUsage(this.o.client, this.o.snapshotter, this.o.snapshotterRoot);
    return { imageFilesystems: [usage], containerFilesystems: [] };
  }
}

function safeNormalize(ref: string): string | undefined {
  const n = parseImageName(ref, 'pause_image');
  return n.kind === 'ref' ? n.name : undefined;
}

