// The operations of strata-runtime, one file per verb (style.md). The CLI (src/cli/) only parses
// arguments into the option types of ./types and prints results.
export { create } from './create';
export { start } from './start';
export { run } from './run';
export { state, list, ps } from './query';
export { kill } from './kill';
export { remove } from './delete';
export { exec, baseProcess } from './exec';
export { pause, resume } from './freezer';
export { update } from './update';
export { events } from './events';
export { spec } from './spec';
export { features } from './features';
export type * from './types';
