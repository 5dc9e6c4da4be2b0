// JSON pointers (RFC 6901): build them and read the value they point at.
export function escapeToken(t: string | number): string {
  return String(t).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function get(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let cur: any = doc;
  for (const raw of pointer.split('/').slice(1)) {
    const t = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = cur[t];
  }
  return cur;
}

export function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? 'undefined' : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
