// The CRI RuntimeService implementation (pods, containers, CNI, security context, logs, exec,
// stats, OOM, recovery) and its state tables. See ../../docs/runtime.md.
export { CriRuntimeService, type CriRuntimeOptions, type StreamOpts } from './service';
export { CriError, CODE as CRI_CODE, invalidField, toCriError, type CriCode } from './errors';
export { sandboxRules, containerRules, sandboxStates, containerStates, assertSandbox, assertContainer, nextSandboxState, nextContainerState, type SandboxOp, type ContainerOp, type SandboxStateName, type ContainerStateName } from './states';
export { sandboxStatesMermaid, containerStatesMermaid } from './statesDiagram';
export { runtimeDefaultProfile } from './seccompDefault';
export { CriLogWriter, rfc3339Nano, MAX_LOG_LINE } from './criLog';
