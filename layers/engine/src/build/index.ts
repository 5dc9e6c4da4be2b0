// The engine's image builder: `docker build` (the classic builder) over the manager API.
// Public surface used by the engine's POST /build handler.
export { Builder, BuildError, type BuilderOptions, type BuildOptions, type BuildEvents, type BuildResult } from './builder';
export { parseDockerfile, targetStage, DockerfileError, type Instruction, type Stage, type Dockerfile } from './dockerfile/parse';
export { expandWord, expandWords } from './dockerfile/words';
export { serveBuild, buildOptionsFromQuery, BuildRequestError } from './http';
export { CACHE_LEASE } from './cache';
