// Every conformance test, in the order the report lists them (runtime.md first, then config.md,
// config-linux.md, cgroups, hooks, seccomp, features, and the property test).
import type { ConformanceTest } from '../framework/testCase';
import { runtimeLifecycleTests } from './runtimeLifecycle';
import { runtimeOperationsTests } from './runtimeOperations';
import { runtimeStateTests } from './runtimeState';
import { configProcessTests } from './configProcess';
import { terminalTests } from './terminal';
import { configRootAndMountsTests } from './configRootAndMounts';
import { linuxNamespacesTests } from './linuxNamespaces';
import { linuxDevicesTests } from './linuxDevices';
import { linuxFilesystemTests } from './linuxFilesystem';
import { linuxCgroupsTests } from './linuxCgroups';
import { hooksTests } from './hooks';
import { seccompAndFeaturesTests } from './seccompAndFeatures';
import { lifecyclePropertyTests } from './lifecycleProperty';

export const allTests: ConformanceTest[] = [
  ...runtimeLifecycleTests,
  ...runtimeOperationsTests,
  ...runtimeStateTests,
  ...configProcessTests,
  ...terminalTests,
  ...configRootAndMountsTests,
  ...linuxNamespacesTests,
  ...linuxDevicesTests,
  ...linuxFilesystemTests,
  ...linuxCgroupsTests,
  ...hooksTests,
  ...seccompAndFeaturesTests,
  ...lifecyclePropertyTests,
];
