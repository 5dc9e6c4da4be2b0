// Docker's JSON progress messages (pkg/jsonmessage): what `docker pull` and `docker push` draw.
//
//   {"status":"Pulling from library/busybox","id":"latest"}
//   {"status":"Pulling fs layer","progressDetail":{},"id":"90b9666d4aed"}
//   {"status":"Downloading","progressDetail":{"current":1048576,"total":2152262},"progress":"[====>   ] 1.049MB/2.152MB","id":"90b9666d4aed"}
//   {"status":"Download complete","progressDetail":{},"id":"90b9666d4aed"}
//   {"status":"Extracting", ...}  {"status":"Pull complete","progressDetail":{},"id":"90b9666d4aed"}
//   {"status":"Digest: sha256:..."}  {"status":"Status: Downloaded newer image for busybox:latest"}
//   errors: {"errorDetail":{"message":"..."},"error":"..."}
//
// The CLI keys its progress lines by `id` (the first 12 hex digits of a layer's digest).
export interface JsonMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  aux?: unknown;
  stream?: string;
  error?: string;
  errorDetail?: { message: string };
}

export type MessageSink = (m: JsonMessage) => void;

export const status = (text: string, id?: string): JsonMessage => (id ? { status: text, progressDetail: {}, id } : { status: text });

export function progressMessage(text: string, id: string, current: number, total: number): JsonMessage {
  return { status: text, progressDetail: { current, total }, progress: progressBar(current, total), id };
}

export const errorMessage = (message: string): JsonMessage => ({ errorDetail: { message }, error: message });

/** "[=====>      ] 1.049MB/2.152MB", as jsonmessage.JSONProgress.String draws it (50 columns). */
export function progressBar(current: number, total: number): string {
  if (total <= 0) return humanSizeSI(current);
  const width = 50;
  const filled = Math.min(width, Math.floor((current / total) * width));
  const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? (filled === width ? '=' : '>') : '') + ' '.repeat(width - filled);
  return `[${bar}] ${humanSizeSI(current)}/${humanSizeSI(total)}`;
}

/** go-units HumanSize: decimal units, 4 significant digits ("2.152MB"). */
export function humanSizeSI(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(4))}${units[i]}`;
}

export const layerId = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);
