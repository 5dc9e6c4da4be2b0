// docker rmi (DELETE /images/{name}?force=&noprune=), with dockerd's rules and messages.
import { familiarName } from '@strata/manager';
import { conflict } from '../errors';
import { danglingName, familiar, isDangling, repoTag, shortId, tryParse } from './names';
import { imageLabels, type ImageService } from './service';

export type RmiResult = { Untagged: string } | { Deleted: string };

/**
 * DELETE /images/{name} (docker rmi). By name: untag it, and delete the image with its last
 * name. By id: every name goes (several need force). An image a container uses is refused
 * unless forced (then its names go and the image stays, dangling, while the container needs it).
 */
export async function removeImage(svc: ImageService, input: string, o: { force?: boolean; noprune?: boolean } = {}): Promise<RmiResult[]> {
  // noprune keeps untagged parent images in docker's classic store; images here have no parent
  // images (a layer is shared by chain id, not by an intermediate image), so there is nothing to keep.
  const img = await svc.lookup(input);
  const out: RmiResult[] = [];
  const user = svc.o.isInUse?.(img.id);
  const named = img.records.filter((r) => !isDangling(r.name));
  const attrs = (name: string) => ({ name, ...imageLabels(img.config) });

  if (!img.byId && img.matched) {
    // Other tags keep the image: only this name goes. Digest references alone do not keep it
    // (dockerd: when only digest references remain, they go with the last tag).
    const others = named.filter((r) => r.name !== img.matched!.name && (repoTag(r.name) || !repoTag(img.matched!.name)));
    if (others.length > 0) {
      await svc.client.images.delete(img.matched.name);
      out.push({ Untagged: familiar(img.matched.name) });
      svc.events.emit('image', 'untag', img.id, attrs(familiar(img.matched.name)));
      return out;
    }
    if (user && !o.force) {
      throw conflict(`conflict: unable to remove repository reference ${JSON.stringify(input)} (must force) - container ${shortId(user)} is using its referenced image ${shortId(img.id)}`);
    }
  } else {
    if (named.length > 1 && !o.force && new Set(named.map((r) => repoOf(r.name))).size > 1) {
      throw conflict(`conflict: unable to delete ${shortId(img.id)} (must be forced) - image is referenced in multiple repositories`);
    }
    if (user && !o.force) throw conflict(`conflict: unable to delete ${shortId(img.id)} (must be forced) - image is being used by container ${shortId(user)}`);
  }

  for (const r of named) {
    const tagged = repoTag(r.name);
    out.push({ Untagged: tagged ?? familiar(r.name) });
    if (tagged) {
      const d = tryParse(r.name);
      if (d) out.push({ Untagged: familiarName({ domain: d.domain, path: d.path, digest: r.target.digest }) });
    }
    svc.events.emit('image', 'untag', img.id, attrs(familiar(r.name)));
  }
  if (user) {
    // forced while a container uses it: the names go, the image stays for the container (the
    // dangling record first, so no garbage collection between the deletes can take the content)
    await svc.client.images.put({ name: danglingName(img.primary.target.digest), target: img.primary.target, labels: {} });
    for (const r of named) await svc.client.images.delete(r.name);
    return dedupe(out);
  }
  const records = img.records;
  for (const [i, r] of records.entries()) await svc.client.images.delete(r.name, i === records.length - 1);
  out.push({ Deleted: img.id });
  svc.events.emit('image', 'delete', img.id, attrs(img.repoTags[0] ?? img.id));
  return dedupe(out);
}

function repoOf(name: string): string {
  const r = tryParse(name);
  return r ? `${r.domain}/${r.path}` : name;
}

function dedupe<T>(list: T[]): T[] {
  const seen = new Set<string>();
  return list.filter((x) => {
    const k = JSON.stringify(x);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
