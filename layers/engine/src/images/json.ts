// Docker's JSON for images: the list entry (image.Summary), inspect (image.InspectResponse) and
// history (image.HistoryResponseItem), from a DockerImage (catalog.ts).
import type { DockerImage } from './catalog';

const unix = (iso: string | undefined): number => (iso ? Math.floor(Date.parse(iso) / 1000) || 0 : 0);

export function imageSummary(g: DockerImage, containers = -1) {
  return {
    Containers: containers,
    Created: unix(g.config.created),
    Id: g.id,
    Labels: g.config.config?.Labels ?? null,
    ParentId: '',
    Descriptor: g.primary.target,
    RepoDigests: g.repoDigests,
    RepoTags: g.repoTags,
    SharedSize: -1,
    Size: g.size,
  };
}

export function imageInspect(g: DockerImage, snapshotter: string) {
  const c = g.config;
  return {
    Id: g.id,
    RepoTags: g.repoTags,
    RepoDigests: g.repoDigests,
    Parent: '',
    Comment: c.history?.at(-1)?.comment ?? '',
    Created: c.created ?? '0001-01-01T00:00:00Z',
    DockerVersion: '',
    Author: c.author ?? '',
    Config: {
      User: c.config?.User ?? '',
      ExposedPorts: c.config?.ExposedPorts,
      Env: c.config?.Env ?? null,
      Cmd: c.config?.Cmd ?? null,
      Volumes: c.config?.Volumes ?? null,
      WorkingDir: c.config?.WorkingDir ?? '',
      Entrypoint: c.config?.Entrypoint ?? null,
      OnBuild: null,
      Labels: c.config?.Labels ?? null,
      StopSignal: c.config?.StopSignal,
    },
    Architecture: c.architecture,
    Variant: c.variant,
    Os: c.os,
    Size: g.size,
    GraphDriver: { Data: null, Name: snapshotter },
    RootFS: { Type: 'layers', Layers: c.rootfs.diff_ids },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
    Descriptor: g.primary.target,
  };
}

/**
 * docker history: newest first, one row per history entry; a row that made a layer gets that
 * layer's size. Rows of older layers have Id "<missing>" (docker's classic store only had ids for
 * the images it built); the newest row carries the image id and its tags.
 */
export function imageHistory(g: DockerImage) {
  const c = g.config;
  const layers = g.manifest.layers;
  const hist = c.history?.length ? c.history : layers.map(() => ({ created: c.created, created_by: '', empty_layer: false as boolean | undefined, comment: '' }));
  let li = 0;
  const rows = hist.map((h) => {
    const size = h.empty_layer ? 0 : (layers[li++]?.size ?? 0);
    return { Id: '<missing>', Created: unix(h.created), CreatedBy: h.created_by ?? '', Tags: null as string[] | null, Size: size, Comment: h.comment ?? '' };
  });
  rows.reverse();
  if (rows.length) {
    rows[0].Id = g.id;
    rows[0].Tags = g.repoTags.length ? g.repoTags : null;
  }
  return rows;
}
