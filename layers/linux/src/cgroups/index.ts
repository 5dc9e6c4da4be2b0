export { detectCgroupLayout, resolveCgroupsPath, ownCgroup, processCgroup, type CgroupLayout } from './layout';
export { Cgroup } from './cgroup';
export { CgroupError } from './errors';
export { v1Writes, v2Writes, sharesToWeight, blkioWeightToIoWeight, type CgroupResources, type CgroupWrite, type DeviceRule, type V2Host } from './resources';
export { compileDeviceRules, encodeInsns, attachDeviceFilter, type BpfInsn } from './devicesBpf';
export { v2Blkio, type CgroupStats } from './stats';
