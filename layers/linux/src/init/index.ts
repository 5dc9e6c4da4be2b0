export * from './ops';
export * from './protocol';
export * from './client';
