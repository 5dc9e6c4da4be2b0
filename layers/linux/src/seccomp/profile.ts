// The seccomp part of config.json (runtime-spec config-linux.md#seccomp), structurally typed.
export interface SeccompArg {
  index: number;
  value: number | bigint;
  valueTwo?: number | bigint;
  op: string;
}
export interface SeccompSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: SeccompArg[];
}
export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: SeccompSyscall[];
}

export class SeccompError extends Error {
  constructor(
    message: string,
    readonly pointer: string,
  ) {
    super(message);
    this.name = 'SeccompError';
  }
}
