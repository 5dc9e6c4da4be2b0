// Named volumes (dockerd's volume service with its "local" driver): a volume is a directory
// <data-root>/volumes/<name>/_data that outlives the containers using it.
export { VolumeStore, type Volume, type VolumeCreateRequest, type VolumeStoreOptions } from './store';
export { validateVolumeName, anonymousVolumeName, ANONYMOUS_LABEL } from './names';
