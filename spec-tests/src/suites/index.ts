// Every conformance test, in the order the report lists them (runtime.md first, then config.md,
// config-linux.md, hooks, seccomp, features, and the property test).
import type { ConformanceTest } from '../framework/testCase';
import { runtimeLifecycleTests } from './runtimeLifecycle';
import { runtimeOperationsTests } from './runtimeOperations';
import { runtimeStateTests } from './runtimeState';

export const allTests: ConformanceTest[] = [...runtimeLifecycleTests, ...runtimeOperationsTests, ...runtimeStateTests];
