export { SyscallError } from './libc';
export * from './files';
export * from './process';
export * from './sockets';
export * from './pty';
export * from './signals';
export * from './capabilities';
export * from './procfs';
