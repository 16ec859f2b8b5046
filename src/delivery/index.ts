// Delivery: routes each tenant's stored events to its sink, in batches, with retries and dead letters.
export { Dispatcher, type DispatcherOptions } from './dispatcher.js';
export { Router, type SinkFactory, type UpdateListener } from './router.js';
export { backoffDelay, MAX_RETRY_AFTER_MS, type RetryPolicy } from './backoff.js';
export type { LaneSettings, LaneStatus } from './lane.js';
export type { PoisonPolicy } from './isolate.js';
