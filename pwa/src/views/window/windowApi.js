// The window terminal's endpoints (server/window): the community's windows, the
// day's queue, numbers given and called, looking a walk-in up (a POST, so an ID
// number never sits in a URL) and their card, and the case taken in for them.
import { api } from '../../api.js';

const community = (code) => `/api/v1/communities/${encodeURIComponent(code)}`;

export const getWindows = (code) => api('GET', `${community(code)}/windows`);
export const getQueue = (code) => api('GET', `${community(code)}/queue`);
export const takeNumber = (code, category) => api('POST', `${community(code)}/tickets`, { body: { category } });
/** {finished, called}: the window's number is finished (served) and the next one called. */
export const callNext = (windowId) => api('POST', `/api/v1/windows/${windowId}/call-next`);
export const finishTicket = (ticketId, outcome) => api('POST', `/api/v1/tickets/${ticketId}/finish`, { body: { outcome } });
export const getHall = (code) => api('GET', `/api/v1/public/communities/${encodeURIComponent(code)}/queue`, { auth: false });
/** {kind, items, more}: residents by whole phone, its last 4 digits, ID number or name. */
export const lookUp = (q) => api('POST', '/api/v1/window/lookup', { body: { q } });
export const getCard = (residentId) => api('GET', `/api/v1/residents/${residentId}/window-card`);
/** The case taken in at the window; `key` makes a second press of the key the same case. */
export const takeIn = (body, key) => api('POST', '/api/v1/cases', { body, headers: { 'Idempotency-Key': key } });
/** Set window `number` up (administrators): {name, categories, active}. */
export const saveWindow = (code, number, body) => api('PUT', `${community(code)}/windows/${number}`, { body });
