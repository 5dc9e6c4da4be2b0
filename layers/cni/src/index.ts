// @strata/cni: a CNI runtime library (what libcni and containerd's go-cni are in Go).
//   types.ts    the JSON shapes exchanged with plugins (config lists, results, runtime conf)
//   errors.ts   CniError: the plugin's {code,msg,details} or a config problem naming the field
//   config.ts   loading/validating .conflist/.conf files, building bridge networks
//   invoke.ts   exec'ing one plugin binary with the CNI_* environment and config on stdin
//   result.ts   parsing 0.4.0/1.0.0 results
//   cache.ts    the result cache DEL needs (libcni's <cacheDir>/results/<net>-<id>-<if>)
//   cni.ts      Cni: ADD/CHECK/DEL through a whole list
//   netns.ts    persistent named network namespaces (/run/netns/<name>, as `ip netns add`)
export type { PortMapping, NetworkConfigList, IPConfig, CniResult, CniInterface, CniRoute, CniDns, RuntimeConf } from './types';
export { CniError, CNI_ERROR_CODES } from './errors';
export { loadConfLists, parseConfList, validateConfList, bridgeConfList, LOOPBACK, type BridgeOptions } from './config';
export { Cni, type CniOptions } from './cni';
export { parseResult } from './result';
export { createNetns, removeNetns, netnsExists, netnsPath, inNetns, spawnInNetns, validateNetnsName, type ExecResult } from './netns';
