// The admin listener's status page: an HTML template over the admin source, and its route.
export { registerStatusPage, DEFAULT_ROWS } from './route.js';
export {
  escapeHtml,
  isFailing,
  renderPage,
  sparkline,
  PAGE_SORTS,
  type PageModel,
  type PageSort,
} from './render.js';
