// Isolation between bridge networks, as dockerd does it with DOCKER-ISOLATION-STAGE-1/2: a
// packet that enters from one network's bridge and leaves through a *different* interface goes
// to stage 2, which drops it if that interface is another network's bridge. Traffic to the
// outside world (eth0 & co), within one network, and from the host is untouched.
//   filter FORWARD                  -j STRATA-ISOLATION-STAGE-1          (inserted first)
//   STRATA-ISOLATION-STAGE-1        -i <br> ! -o <br> -j STRATA-ISOLATION-STAGE-2   (per network)
//   STRATA-ISOLATION-STAGE-2        -o <br> -j DROP                                 (per network)
// The CNI plugins have no notion of "other networks", which is why the controller adds these two
// rules itself.
// Forwarding is allowed explicitly too, as dockerd does (its DOCKER-FORWARD chain): a host where
// FORWARD's policy is DROP (dockerd sets it; with br_netfilter even traffic *within* a bridge is
// filtered) would otherwise cut containers off from each other and from the outside world.
//   filter FORWARD                  -j STRATA-FORWARD                    (appended: after stage 1)
//   STRATA-FORWARD                  -i <br> -o <br> -j ACCEPT            (within the network)
//                                   -i <br> ! -o <br> -j ACCEPT          (out, unless internal)
//                                   -o <br> -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
// Found by the classroom VM proof (Debian 12 with docker.io: lesson 10's container-to-container
// wget timed out). Published ports reached from outside the host (DNAT'd NEW packets) are not
// opened here; loopback access does not cross FORWARD.
// All rules are keyed by bridge device names, unique per network, so several engines on one host
// share the chains without stepping on each other; the chains and the FORWARD jumps stay (empty)
// when the last network goes, as docker's do.
import { spawnSync } from 'node:child_process';
import { EngineError } from '../errors';

export const STAGE1 = 'STRATA-ISOLATION-STAGE-1';
export const STAGE2 = 'STRATA-ISOLATION-STAGE-2';
export const FORWARD_CHAIN = 'STRATA-FORWARD';

function iptables(...args: string[]): { ok: boolean; err: string } {
  // -w: wait for the xtables lock instead of failing when a CNI plugin holds it
  const r = spawnSync('iptables', ['-w', '-t', 'filter', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { ok: r.status === 0, err: (r.stderr || r.error?.message || '').trim() };
}

function must(...args: string[]): void {
  const r = iptables(...args);
  if (!r.ok) throw new EngineError('system', `iptables ${args.join(' ')}: ${r.err}`);
}

function ensureRule(chain: string, rule: string[], insert = false): void {
  if (iptables('-C', chain, ...rule).ok) return;
  must(insert ? '-I' : '-A', chain, ...rule);
}

function ensureChains(): void {
  const chains = [STAGE1, STAGE2, FORWARD_CHAIN];
  for (const chain of chains) if (!iptables('-S', chain).ok) iptables('-N', chain); // may race with another engine: checked next
  for (const chain of chains) if (!iptables('-S', chain).ok) throw new EngineError('system', `iptables: cannot create chain ${chain}`);
  ensureRule('FORWARD', ['-j', STAGE1], true);
  ensureRule('FORWARD', ['-j', FORWARD_CHAIN]);
}

const stage1Rule = (bridge: string) => ['-i', bridge, '!', '-o', bridge, '-j', STAGE2];
const stage2Rule = (bridge: string) => ['-o', bridge, '-j', 'DROP'];

const forwardRules = (bridge: string, internal: boolean): string[][] => [
  ['-i', bridge, '-o', bridge, '-j', 'ACCEPT'],
  ...(internal ? [] : [['-i', bridge, '!', '-o', bridge, '-j', 'ACCEPT']]),
  ['-o', bridge, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
];

/** Adds the network's isolation and forwarding rules (idempotent). */
export function isolateBridge(bridge: string, internal = false): void {
  ensureChains();
  ensureRule(STAGE1, stage1Rule(bridge));
  ensureRule(STAGE2, stage2Rule(bridge));
  for (const rule of forwardRules(bridge, internal)) ensureRule(FORWARD_CHAIN, rule);
}

/** Removes them (idempotent; every copy, in case a crash duplicated one). */
export function unisolateBridge(bridge: string): void {
  const rules: [string, string[]][] = [[STAGE1, stage1Rule(bridge)], [STAGE2, stage2Rule(bridge)], ...forwardRules(bridge, false).map((r): [string, string[]] => [FORWARD_CHAIN, r])];
  for (const [chain, rule] of rules) {
    for (let i = 0; i < 16 && iptables('-C', chain, ...rule).ok; i++) iptables('-D', chain, ...rule);
  }
}
