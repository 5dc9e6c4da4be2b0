// Label rules shared by the stores (containerd/labels.Validate) and containerd's fieldpath
// updates ("labels" replaces all labels, "labels.<key>" sets one; an empty value removes a key).
import { invalid } from '../errors';
import type { Labels } from '../types';

const MAX_LABEL_SIZE = 4096;

export function validateLabels(labels: Labels | undefined, field = 'labels'): void {
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (k === '') throw invalid(field, 'label key must not be empty');
    if (Buffer.byteLength(k) + Buffer.byteLength(v) > MAX_LABEL_SIZE) {
      throw invalid(`${field}.${k.slice(0, 32)}`, `label key and value together exceed ${MAX_LABEL_SIZE} bytes`);
    }
  }
}

/** Drop empty values: containerd stores a label set with value "" as a removal. */
export function cleanLabels(labels: Labels | undefined): Labels {
  const out: Labels = {};
  for (const [k, v] of Object.entries(labels ?? {})) if (v !== '') out[k] = v;
  return out;
}

/**
 * Apply an update with containerd's fieldpaths: none means "replace all labels"; "labels" replaces
 * all; "labels.<key>" copies one key from `incoming` (absent or "" removes it). Paths that are not
 * labels are returned in `others` for the caller to handle (or refuse).
 */
export function applyLabelUpdate(
  current: Labels,
  incoming: Labels | undefined,
  fieldpaths: readonly string[] | undefined,
): { labels: Labels; others: string[] } {
  const next: Labels = { ...current };
  const others: string[] = [];
  if (!fieldpaths || fieldpaths.length === 0) return { labels: cleanLabels(incoming), others };
  let replaced: Labels | undefined;
  for (const p of fieldpaths) {
    if (p === 'labels') replaced = cleanLabels(incoming);
    else if (p.startsWith('labels.')) {
      const key = p.slice('labels.'.length);
      const v = incoming?.[key];
      if (v === undefined || v === '') delete next[key];
      else next[key] = v;
    } else others.push(p);
  }
  return { labels: replaced ? { ...replaced } : next, others };
}
