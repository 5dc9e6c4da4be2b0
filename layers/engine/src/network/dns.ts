// The embedded DNS server of user-defined networks (docker's "embedded DNS server", which answers
// at 127.0.0.11 inside each container). Containers on a user-defined network find each other by
// name: `ping db` works when a container named (or aliased) db is on the same network.
//
// Strata's variant listens on the network's gateway address, port 53 UDP, in the host's netns:
// dockerd has to enter every container's netns to bind 127.0.0.11 (Go can pin a goroutine to a
// thread inside a netns; Node cannot), whereas the gateway is already reachable from every
// container of the network and is the same address for all of them. The container's resolv.conf
// then says `nameserver <gateway>`. Names of the network are answered here (A records, TTL 600 as
// docker); anything else is relayed unchanged to the host's upstream resolvers.
//
// DNS messages (RFC 1035 section 4): a 12-byte header (id, flags, counts), the question
// (labels, type, class), then resource records. Only what is needed is decoded.
import { createSocket, type Socket } from 'node:dgram';

export interface DnsDirectory {
  /** IPv4 addresses registered under `name` on the network, or undefined if the name is not ours. */
  lookup(networkId: string, name: string): string[] | undefined;
  /** Upstream resolvers for other names (host resolv.conf minus loopback ones). */
  upstreams(): string[];
}

const TYPE_A = 1;
const CLASS_IN = 1;
const RCODE_SERVFAIL = 2;
const RCODE_NXDOMAIN = 3;
const UPSTREAM_TIMEOUT_MS = 3000;

interface Question {
  id: number;
  rd: boolean;
  name: string;
  type: number;
  cls: number;
  /** Bytes of the question section, echoed in the answer. */
  raw: Buffer;
}

export function parseQuery(msg: Buffer): Question | undefined {
  if (msg.length < 12) return undefined;
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000 || ((flags >> 11) & 0xf) !== 0 || msg.readUInt16BE(4) !== 1) return undefined; // not a standard query with one question
  const labels: string[] = [];
  let off = 12;
  for (let guard = 0; guard < 128; guard++) {
    if (off >= msg.length) return undefined;
    const len = msg[off];
    if (len === 0) break;
    if (len > 63 || off + 1 + len > msg.length) return undefined; // compression pointers never appear in a question
    labels.push(msg.toString('latin1', off + 1, off + 1 + len));
    off += 1 + len;
  }
  off += 1;
  if (off + 4 > msg.length) return undefined;
  return { id: msg.readUInt16BE(0), rd: !!(flags & 0x0100), name: labels.join('.').toLowerCase(), type: msg.readUInt16BE(off), cls: msg.readUInt16BE(off + 2), raw: msg.subarray(12, off + 4) };
}

export function buildAnswer(q: Question, ips: string[], rcode = 0): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  // QR=1, AA=1 (we own these names), RD copied, RA=1
  header.writeUInt16BE(0x8000 | 0x0400 | (q.rd ? 0x0100 : 0) | 0x0080 | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(ips.length, 6);
  const answers = ips.map((ip) => {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0); // name: pointer to the question's name at offset 12
    rr.writeUInt16BE(TYPE_A, 2);
    rr.writeUInt16BE(CLASS_IN, 4);
    rr.writeUInt32BE(600, 6);
    rr.writeUInt16BE(4, 10);
    ip.split('.').forEach((o, i) => rr.writeUInt8(Number(o), 12 + i));
    return rr;
  });
  return Buffer.concat([header, q.raw, ...answers]);
}

export class EmbeddedDns {
  private readonly sockets = new Map<string, Socket>();

  constructor(
    private readonly dir: DnsDirectory,
    private readonly log: (msg: string) => void = () => {},
  ) {}

  /** Serves `networkId` on address:port (port 53 normally). Failing to bind is logged, not fatal: the network works without names. */
  async listen(networkId: string, address: string, port = 53): Promise<boolean> {
    if (this.sockets.has(networkId)) return true;
    const sock = createSocket({ type: 'udp4', reuseAddr: false });
    sock.on('message', (msg, rinfo) => {
      this.answer(networkId, msg).then(
        (out) => out && sock.send(out, rinfo.port, rinfo.address),
        (e: Error) => this.log(`embedded DNS: ${e.message}`),
      );
    });
    const ok = await new Promise<boolean>((resolve) => {
      sock.once('error', (e) => {
        this.log(`embedded DNS for network ${networkId.slice(0, 12)} not started on ${address}:${port}: ${e.message}`);
        resolve(false);
      });
      sock.bind(port, address, () => resolve(true));
    });
    if (!ok) {
      sock.close();
      return false;
    }
    sock.on('error', (e) => this.log(`embedded DNS ${address}: ${e.message}`));
    sock.unref(); // never the reason the engine process stays alive
    this.sockets.set(networkId, sock);
    return true;
  }

  stop(networkId: string): void {
    this.sockets.get(networkId)?.close();
    this.sockets.delete(networkId);
  }

  close(): void {
    for (const id of [...this.sockets.keys()]) this.stop(id);
  }

  serving(networkId: string): boolean {
    return this.sockets.has(networkId);
  }

  private async answer(networkId: string, msg: Buffer): Promise<Buffer | undefined> {
    const q = parseQuery(msg);
    if (!q) return undefined;
    const ips = this.dir.lookup(networkId, q.name);
    if (ips) return buildAnswer(q, q.type === TYPE_A && q.cls === CLASS_IN ? ips : []); // a name we own: AAAA & co get an empty NOERROR
    for (const upstream of this.dir.upstreams()) {
      const reply = await relay(msg, upstream);
      if (reply) return reply;
    }
    return buildAnswer(q, [], this.dir.upstreams().length ? RCODE_SERVFAIL : RCODE_NXDOMAIN);
  }
}

/** Sends the query as-is to upstream ("ip" or "ip:port", port 53 by default) and returns its reply, or undefined on error/timeout. */
function relay(msg: Buffer, upstream: string): Promise<Buffer | undefined> {
  const [host, portText] = upstream.split(':');
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    let finished = false;
    const done = (reply?: Buffer) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      sock.close();
      resolve(reply);
    };
    const timer = setTimeout(() => done(), UPSTREAM_TIMEOUT_MS);
    sock.on('message', (reply) => done(reply));
    sock.on('error', () => done()); // on a connected socket, ICMP port unreachable arrives as ECONNREFUSED
    sock.connect(Number(portText ?? 53), host, () => sock.send(msg, (err) => err && done()));
  });
}
