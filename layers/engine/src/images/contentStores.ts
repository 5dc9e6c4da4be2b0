// The manager's content and image stores seen through its API, in the shapes the manager's
// archive and push code take: @strata/manager's own adapters (the ones strata-ctr uses).
export { RemoteContentStore as ApiContentStore, RemoteImageStore as ApiImageStore } from '@strata/manager';
