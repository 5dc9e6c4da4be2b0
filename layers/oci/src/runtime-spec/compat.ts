// Values real clients put in config.json that the runtime-spec schema forbids but runc accepts
// (runc does not validate against the schema; it treats them as "not set"). strata-runtime
// validates every config, so without this it would refuse configs that runc runs:
//   - linux.resources.blockIO.weight / leafWeight = 0: dockerd 20.10 writes 0 when no --blkio-weight
//     was given (the schema's blkioWeight is 10..1000; runc's cgroup code skips 0).
// Each rule removes the value and says what it did, so the runtime can log it at debug level.
export function applyRuncLeniency(doc: unknown): string[] {
  const notes: string[] = [];
  const blockIO = (doc as { linux?: { resources?: { blockIO?: Record<string, unknown> } } })?.linux?.resources?.blockIO;
  if (blockIO && typeof blockIO === 'object') {
    for (const key of ['weight', 'leafWeight']) {
      if (blockIO[key] === 0) {
        delete blockIO[key];
        notes.push(`/linux/resources/blockIO/${key}: 0 read as "not set" (as runc does)`);
      }
    }
  }
  return notes;
}
