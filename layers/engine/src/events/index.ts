// The engine's event log (dockerd's daemon/events): every change to a container, image, volume or
// network is published once, kept in a bounded ring for `docker events --since`, and fanned out
// to live subscribers (GET /events, and `docker run --rm`'s wait on old API versions).
export { EngineEvents, type EngineEvent, type EventType, type EventQuery } from './events';
export { eventsRoutes } from './routes';
export { parseEventTime } from './time';
export { parseFiltersParam, boolFilter, checkFilterKeys, matchLabels } from './filters';
