// The admin listener's public surface.
export { createAdminServer, type AdminOptions, type AdminServer } from './server.js';
