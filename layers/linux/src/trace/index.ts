// @strata/linux/trace: structured trace events (STRATA_TRACE) and the layers' protocol map.
export * from './trace';
export * from './stack';
