// The image store: names -> target descriptors, per namespace (containerd's images.Store,
// metadata/images.go). An image is only a name, labels and a target (an index or a manifest
// in the content store); its blobs are kept alive by the GC labels on the target's tree.
import { alreadyExists, invalid, notFound } from '../errors';
import { ensureNamespace, fromJson, now, toJson, type DB } from '../metadata/db';
import type { Descriptor, Labels } from '../types';
import { parseDigest } from '../content/digest';
import { parseFilters, recordAdaptor } from '../filters';
import { applyLabelUpdate, cleanLabels, validateLabels } from '../content/labels';
import type { ImageAccess } from './access';

/** images.Image */
export interface Image {
  name: string;
  labels: Labels;
  target: Descriptor;
  createdAt: Date;
  updatedAt: Date;
}

export type ImageInput = { name: string; labels?: Labels; target: Descriptor };

interface ImageRow {
  namespace: string;
  name: string;
  media_type: string;
  digest: string;
  size: number;
  annotations: string;
  labels: string;
  created_at: number;
  updated_at: number;
}

const rowToImage = (r: ImageRow): Image => {
  const annotations = fromJson(r.annotations);
  const target: Descriptor = { mediaType: r.media_type, digest: r.digest, size: r.size };
  if (Object.keys(annotations).length) target.annotations = annotations;
  return { name: r.name, labels: fromJson(r.labels), target, createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at) };
};

/**
 * containerd accepts any non-empty name (CRI stores "sha256:<id>" names beside references); we
 * also refuse whitespace and control characters, which no tool can type back.
 */
export function validateImageName(name: string): void {
  if (!name) throw invalid('image.name', 'image name must not be empty');
  if (name.length > 4096) throw invalid('image.name', `image name is longer than 4096 characters`);
  if (/[\s\x00-\x1f\x7f]/.test(name)) throw invalid('image.name', `image name ${JSON.stringify(name)} contains whitespace or control characters`);
}

export function validateTarget(t: Descriptor | undefined): void {
  if (!t) throw invalid('image.target', 'an image needs a target descriptor');
  parseDigest(t.digest, 'image.target.digest');
  if (!(t.size > 0)) throw invalid('image.target.size', `must be greater than zero (got ${t.size})`);
  if (!t.mediaType) throw invalid('image.target.media_type', 'must be set');
}

export class ImageStore implements ImageAccess {
  constructor(private readonly db: DB) {}

  get(ns: string, name: string): Image {
    const row = this.db.prepare('SELECT * FROM images WHERE namespace = ? AND name = ?').get(ns, name) as ImageRow | undefined;
    if (!row) throw notFound(`image ${JSON.stringify(name)}`);
    return rowToImage(row);
  }

  /** Filters (containerd syntax): name, target.digest, target.mediatype, labels.<key>. */
  list(ns: string, filters: readonly string[] = []): Image[] {
    const match = parseFilters([...filters]);
    const rows = this.db.prepare('SELECT * FROM images WHERE namespace = ? ORDER BY name').all(ns) as ImageRow[];
    return rows.map(rowToImage).filter((img) => {
      const fields = recordAdaptor({ name: img.name }, img.labels);
      return match((fp) => (fp[0] === 'target' && fp.length === 2 ? (fp[1] === 'digest' ? img.target.digest : fp[1] === 'mediatype' ? img.target.mediaType : undefined) : fields(fp)));
    });
  }

  create(ns: string, image: ImageInput): Image {
    validateImageName(image.name);
    validateLabels(image.labels, 'image.labels');
    validateTarget(image.target);
    ensureNamespace(this.db, ns);
    const t = now();
    const r = this.db
      .prepare(
        `INSERT OR IGNORE INTO images (namespace, name, media_type, digest, size, annotations, labels, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(ns, image.name, image.target.mediaType, image.target.digest, image.target.size, toJson(image.target.annotations), toJson(cleanLabels(image.labels)), t, t);
    if (r.changes === 0) throw alreadyExists(`image ${JSON.stringify(image.name)}`);
    return this.get(ns, image.name);
  }

  /**
   * containerd's fieldpaths: "labels", "labels.<key>", "target" (replaced as a unit),
   * "annotations", "annotations.<key>". No fieldpaths: replace labels and target.
   */
  update(ns: string, image: ImageInput, fieldpaths?: readonly string[]): Image {
    if (!image.name) throw invalid('image.name', 'image name is required for update');
    return this.db.transaction(() => {
      const cur = this.get(ns, image.name);
      let target: Descriptor = { ...cur.target };
      let labels: Labels;
      if (!fieldpaths || fieldpaths.length === 0) {
        labels = cleanLabels(image.labels);
        target = image.target;
      } else {
        const r = applyLabelUpdate(cur.labels, image.labels, fieldpaths);
        labels = r.labels;
        for (const p of r.others) {
          if (p === 'target') target = image.target;
          else if (p === 'annotations') target.annotations = image.target?.annotations;
          else if (p.startsWith('annotations.')) {
            const key = p.slice('annotations.'.length);
            const v = image.target?.annotations?.[key];
            const a = { ...(target.annotations ?? {}) };
            if (v === undefined || v === '') delete a[key];
            else a[key] = v;
            target.annotations = a;
          } else throw invalid('update_mask', `cannot update ${JSON.stringify(p)} on image ${image.name}: mutable fields are labels, target, annotations`);
        }
      }
      validateLabels(labels, 'image.labels');
      validateTarget(target);
      this.db
        .prepare('UPDATE images SET media_type = ?, digest = ?, size = ?, annotations = ?, labels = ?, updated_at = ? WHERE namespace = ? AND name = ?')
        .run(target.mediaType, target.digest, target.size, toJson(target.annotations), toJson(labels), now(), ns, image.name);
      return this.get(ns, image.name);
    })();
  }

  /** Create, or point an existing name at a new target (what pull and import do). */
  upsert(ns: string, image: ImageInput): Image {
    return this.db.transaction(() => {
      try {
        return this.create(ns, image);
      } catch (e) {
        if (!(e instanceof Error && (e as { code?: string }).code === 'ALREADY_EXISTS')) throw e;
        const cur = this.get(ns, image.name);
        return this.update(ns, { name: image.name, target: image.target, labels: { ...cur.labels, ...(image.labels ?? {}) } });
      }
    })();
  }

  delete(ns: string, name: string): void {
    const r = this.db.prepare('DELETE FROM images WHERE namespace = ? AND name = ?').run(ns, name);
    if (r.changes === 0) throw notFound(`image ${JSON.stringify(name)}`);
  }
}
