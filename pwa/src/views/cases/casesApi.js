// The cases 民意快线 endpoints the case screens use (same client as src/api.js:
// bearer token, one refresh on 401, localised errors). Reads of cases, the inbox
// and the catalogue are kept by the service worker for offline use (src/sw.js).
import { api, getCaseInbox, getCatalogue } from '../../api.js';

export { getCaseInbox, getCatalogue };

const query = (params) => {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '' && v != null && v !== false)).toString();
  return q ? `?${q}` : '';
};

export const getCase = (id) => api('GET', `/api/v1/cases/${id}`);
/** {items, total, limit, offset}: the cases I reported, newest first. */
export const getMyCases = (limit = 50, offset = 0) => api('GET', `/api/v1/me/cases${query({ limit, offset })}`);
/** The office's list: filters {state, item, level (holding it), overdue}, paged. */
export const getCommunityCases = (code, { state = '', item = '', level = '', overdue = false, limit = 20, offset = 0 } = {}) =>
  api('GET', `/api/v1/communities/${encodeURIComponent(code)}/cases${query({ state, item, level, overdue: overdue ? 'true' : '', limit, offset })}`);
/** Open cases of the item within 150 m (staff only: residents get 403). */
export const getDuplicates = (item, lon, lat) =>
  api('GET', `/api/v1/case-duplicates${query({ item, lon: lon.toFixed(6), lat: lat.toFixed(6) })}`);
/** Staff in my scope with a role: whom a case can be dispatched to. */
export const getStaff = (role) => api('GET', `/api/v1/users${query({ role, limit: 200 })}`);
