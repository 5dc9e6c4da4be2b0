// Every lab, in course order.
import type { Lab } from '../lab';
import { hideHostProcesses } from './hideHostProcesses';
import { memoryOom } from './memoryOom';
import { containerdStrataShim } from './containerdStrataShim';
import { pidsLimit } from './pidsLimit';
import { readonlyRootfs } from './readonlyRootfs';

export const LABS: Lab[] = [hideHostProcesses, memoryOom, containerdStrataShim, pidsLimit, readonlyRootfs];
