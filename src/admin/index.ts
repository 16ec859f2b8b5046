// The admin listener's public surface.
export { createAdminServer, type AdminOptions, type AdminServer } from './server.js';
export { admit, bearerMatches, isLoopback, type Verdict } from './auth.js';
export {
  serviceSource,
  type AdminSource,
  type ReplayResult,
  type ServiceParts,
  type StatusView,
  type TenantState,
  type TenantView,
} from './source.js';
