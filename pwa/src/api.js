// Talks to the Linli server at the same origin: JSON in and out, bearer
// tokens in localStorage, one silent refresh on 401, localised errors.
import { acceptLanguage, t } from './i18n/index.js';

const KEYS = {
  access: 'linli.access_token',
  refresh: 'linli.refresh_token',
  expiresAt: 'linli.access_expires_at',
  user: 'linli.user',
};

/** Name of the service worker's runtime cache for API answers (see src/sw.js). */
export const API_CACHE = 'linli-api';
/** Every runtime cache holding one user's answers (src/sw.js); emptied at log-out. */
export const USER_CACHES = [API_CACHE, 'linli-api-wishes', 'linli-api-visits', 'linli-api-cases', 'linli-media'];

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, or 0 when the server could not be reached
   * @param {string} detail message fit to show the user (the server's, already localised)
   */
  constructor(status, detail, extra = null, retryAfter = null, body = null) {
    super(detail);
    this.status = status;
    this.detail = detail;
    this.extra = extra;
    this.retryAfter = retryAfter;
    /** The whole JSON answer (an import report comes back with a 422). */
    this.body = body;
  }
}

const store = {
  get(key) {
    try {
      return localStorage.getItem(key);
    } catch {
      return null;
    }
  },
  set(key, value) {
    try {
      localStorage.setItem(key, value);
    } catch {
      /* storage full or disabled: the session lasts for this page only */
    }
  },
  del(key) {
    try {
      localStorage.removeItem(key);
    } catch {
      /* nothing to remove */
    }
  },
};

export const hasSession = () => Boolean(store.get(KEYS.access) || store.get(KEYS.refresh));

export function storedUser() {
  try {
    return JSON.parse(store.get(KEYS.user) || 'null');
  } catch {
    return null;
  }
}

export function saveUser(user) {
  store.set(KEYS.user, JSON.stringify(user));
}

function saveTokens(answer) {
  store.set(KEYS.access, answer.access_token);
  if (answer.refresh_token) store.set(KEYS.refresh, answer.refresh_token);
  if (answer.expires_in) store.set(KEYS.expiresAt, String(Date.now() + answer.expires_in * 1000));
  if (answer.user) saveUser(answer.user);
}

const clearHooks = [];
/** Runs `hook` whenever the session ends (log-out or refused refresh). */
export function onSessionCleared(hook) {
  clearHooks.push(hook);
}

export function clearSession() {
  Object.values(KEYS).forEach(store.del);
  // Cached /me, /map, wishes and photos belong to the user who just left.
  if (typeof caches !== 'undefined') USER_CACHES.forEach((name) => caches.delete(name).catch(() => {}));
  clearHooks.forEach((hook) => hook());
}

/** The current access token (the offline queue hands it to the service worker). */
export const accessToken = () => store.get(KEYS.access);

let sessionExpiredHandler = () => {};
/** Called when the server no longer accepts this session (refresh refused). */
export function onSessionExpired(handler) {
  sessionExpiredHandler = handler;
}

async function send(method, path, body, token, extraHeaders = null) {
  const headers = { Accept: 'application/json', 'Accept-Language': acceptLanguage(), ...(extraHeaders || {}) };
  // A photo goes as the raw body with its own type; everything else as JSON.
  const raw = typeof Blob !== 'undefined' && body instanceof Blob;
  if (body !== undefined) headers['Content-Type'] = raw ? body.type || 'application/octet-stream' : 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    return await fetch(path, {
      method,
      headers,
      body: body === undefined || raw ? body : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, t(navigator.onLine === false ? 'error.offline' : 'error.network'));
  }
}

async function read(response, as = 'json') {
  if (response.status === 204) return null;
  if (response.ok && as === 'blob') return response.blob();
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (response.ok) return data;
  const detail =
    data && typeof data.detail === 'string' && data.detail
      ? data.detail
      : t('error.http', { status: response.status });
  const retryAfter = Number.parseInt(response.headers.get('Retry-After') || '', 10);
  throw new ApiError(
    response.status,
    detail,
    data ? data.extra ?? null : null,
    Number.isFinite(retryAfter) ? retryAfter : null,
    data,
  );
}

let refreshing = null;

/** Rotates the token pair. Resolves true, false (refused) or throws ApiError(0) when offline. */
function refreshTokens() {
  if (!refreshing) {
    const refreshToken = store.get(KEYS.refresh);
    refreshing = (async () => {
      if (!refreshToken) return false;
      const response = await send('POST', '/api/v1/auth/refresh', { refresh_token: refreshToken });
      if (response.ok) {
        saveTokens(await response.json());
        return true;
      }
      // A 5xx says nothing about the token: keep the session for a later try.
      if (response.status >= 500) await read(response);
      return false;
    })().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

/**
 * One API call. `auth: true` sends the access token and, on 401, refreshes
 * once and retries; if the server refuses the refresh the session ends.
 * `body` may be a Blob (sent raw, e.g. a photo); `as: 'blob'` reads the answer as one.
 */
export async function api(method, path, { body, auth = true, as = 'json', headers = null } = {}) {
  let response = await send(method, path, body, auth ? store.get(KEYS.access) : null, headers);
  if (response.status === 401 && auth) {
    if (await refreshTokens()) {
      response = await send(method, path, body, store.get(KEYS.access), headers);
    }
    if (response.status === 401) {
      clearSession();
      sessionExpiredHandler();
      throw new ApiError(401, t('error.session_expired'));
    }
  }
  return read(response, as);
}

export async function login(phone, password) {
  const answer = await api('POST', '/api/v1/auth/login', { body: { phone, password }, auth: false });
  saveTokens(answer);
  return answer.user;
}

export async function logout() {
  const refreshToken = store.get(KEYS.refresh);
  let accessToken = store.get(KEYS.access);
  // The device forgets the session at once; the server is told afterwards
  // with the tokens held here, so a quick new log-in is never wiped out.
  clearSession();
  if (!refreshToken) return;
  const body = { refresh_token: refreshToken };
  try {
    const response = await send('POST', '/api/v1/auth/logout', body, accessToken);
    if (response.status === 401) {
      // Access token expired: trade the refresh token for a pair that can revoke itself.
      const renewed = await send('POST', '/api/v1/auth/refresh', body);
      if (!renewed.ok) return;
      const pair = await renewed.json();
      accessToken = pair.access_token;
      await send('POST', '/api/v1/auth/logout', { refresh_token: pair.refresh_token }, accessToken);
    }
  } catch {
    /* offline: the refresh token will lapse on its own */
  }
}

export const getMe = () => api('GET', '/api/v1/me');
export const saveLocale = (locale) => api('PATCH', '/api/v1/me', { body: { locale } });
export const getMap = () => api('GET', '/api/v1/map');
export const getConfig = () => api('GET', '/api/v1/config', { auth: false });
export const locate = (lon, lat) =>
  api('GET', `/api/v1/locate?lon=${lon.toFixed(6)}&lat=${lat.toFixed(6)}`, { auth: false });

// --- wishes 微心愿 ---------------------------------------------------------------------------
export const getMyWishes = () => api('GET', '/api/v1/wishes/mine');
export const getWish = (id) => api('GET', `/api/v1/wishes/${id}`);
export const getQueue = () => api('GET', '/api/v1/wishes/queue?status=submitted');
export const getBoard = (code) => api('GET', `/api/v1/communities/${encodeURIComponent(code)}/wishes`, { auth: false });
export const getHours = () => api('GET', '/api/v1/me/hours');
/** {to_moderate, open_in_my_grids, to_confirm}: how many wishes wait for me, in my scope. */
export const getMyTasks = () => api('GET', '/api/v1/me/tasks');
/** 我的走访时间: when I can go out on visits (none given: every visiting window). */
export const getMyVisitHours = () => api('GET', '/api/v1/me/visit-hours');
export const setMyVisitHours = (availability) => api('PUT', '/api/v1/me/visit-hours', { body: { availability } });
export const getMyVisits = (day) => api('GET', `/api/v1/me/visits?on=${encodeURIComponent(day)}`);
// 三公开: the public page (no log-in) and the office's editor.
export const getPublicCommunities = () => api('GET', '/api/v1/public/communities', { auth: false });
export const getDisclosure = (code, year) =>
  api('GET', `/api/v1/public/communities/${encodeURIComponent(code)}/disclosure${year ? `?year=${year}` : ''}`, { auth: false });
export const getDisclosureEditor = (code, year) => api('GET', `/api/v1/communities/${encodeURIComponent(code)}/disclosure?year=${year}`);
export const createCommitment = (code, body) => api('POST', `/api/v1/communities/${encodeURIComponent(code)}/commitments`, { body });
export const updateCommitment = (id, body) => api('PATCH', `/api/v1/commitments/${id}`, { body });
export const deleteCommitment = (id) => api('DELETE', `/api/v1/commitments/${id}`);
export const recordEvaluation = (code, body) => api('PUT', `/api/v1/communities/${encodeURIComponent(code)}/evaluations`, { body });
export const getThanks = (code) => api('GET', `/api/v1/communities/${encodeURIComponent(code)}/thanks`, { auth: false });
/** My trades and weekly availability (404 when I am not a volunteer). */
export const getMyVolunteerProfile = () => api('GET', '/api/v1/me/volunteer-profile');
export const getWishStats = (code, days) => api('GET', `/api/v1/communities/${encodeURIComponent(code)}/wish-stats?days=${days}`);
/** 走访覆盖率: the on-time share of due visits per week, in total, per care tag and per grid. */
export const getVisitCoverage = (code, weeks) => api('GET', `/api/v1/communities/${encodeURIComponent(code)}/visit-coverage?weeks=${weeks}`);
/** 待核走访记录: a page of the visit records kept for the office (state: 'open' | 'reviewed'). */
export const getVisitReports = (code, state, limit) =>
  api('GET', `/api/v1/communities/${encodeURIComponent(code)}/visit-reports?state=${state}&limit=${limit}`);
/** body: {decision: 'apply', expected_version} | {decision: 'dismiss', note} → the report as reviewed. */
export const reviewVisitReport = (id, body) => api('POST', `/api/v1/visit-reports/${id}/review`, { body });
/** A resident's visits and wishes, newest first (the server writes each opening to the audit log). */
export const getResidentTimeline = (id) => api('GET', `/api/v1/residents/${id}/timeline`);
export const getMedia = (key) => api('GET', `/api/v1/media/${key}`, { as: 'blob' });
/** A board photo anyone may see: a plain URL the browser (and the service worker) caches. */
export const publicPhotoUrl = (key) => `/api/v1/media/public/${key}`;
/** {kinds, service_groups, businesses}: in whose name I may claim this community's wishes. */
export const getClaimOptions = (code) => api('GET', `/api/v1/communities/${encodeURIComponent(code)}/claim-options`);

// --- service cases 民意快线 (the rest in views/cases/casesApi.js) ---------------------------------
/** {items, total, limit, offset}: open cases of my grids or dispatched to me, nearest deadline first. */
export const getCaseInbox = (limit = 100, offset = 0) => api('GET', `/api/v1/me/case-inbox?limit=${limit}&offset=${offset}`);
export const getCatalogue = () => api('GET', '/api/v1/service-catalogue');

// --- caring businesses 爱心商户 ----------------------------------------------------------------
export const getStorefronts = (code) => api('GET', `/api/v1/communities/${encodeURIComponent(code)}/storefronts`);
export const saveCaringBusiness = (code, body) => api('PUT', `/api/v1/storefronts/${encodeURIComponent(code)}/caring`, { body });

// --- notifications ---------------------------------------------------------------------------
export const getPushKey = () => api('GET', '/api/v1/push/key', { auth: false });
export const savePushSubscription = (subscription) => api('POST', '/api/v1/push/subscriptions', { body: subscription });
export const deletePushSubscription = (endpoint) =>
  api('DELETE', `/api/v1/push/subscriptions?endpoint=${encodeURIComponent(endpoint)}`);
export const getNotifyVia = () => api('GET', '/api/v1/me/notifications');
export const setNotifyVia = (via) => api('PUT', '/api/v1/me/notifications', { body: { via } });

// --- people 居民与队伍 (staff) -----------------------------------------------------------------
const query = (params) => {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '' && v != null)).toString();
  return q ? `?${q}` : '';
};
export const createResident = (body) => api('POST', '/api/v1/residents', { body });
/** field: 'phone' | 'id_number' → {id, field, value} (the server writes it to the audit log). */
export const revealResident = (id, field) => api('POST', `/api/v1/residents/${id}/reveal/${field}`);
export const getVolunteers = (trade = '') => api('GET', `/api/v1/volunteers${query({ trade })}`);
export const saveVolunteerProfile = (userId, body) => api('PUT', `/api/v1/volunteers/${userId}/profile`, { body });
export const issueTemporaryPassword = (userId) => api('POST', `/api/v1/users/${userId}/temporary-password`);
export const getServiceGroups = () => api('GET', '/api/v1/service-groups');
export const addServiceGroupMember = (groupId, body) => api('POST', `/api/v1/service-groups/${groupId}/members`, { body });
export const getGrids = () => api('GET', '/api/v1/areas?level=grid');
/** The communities in my scope (sub-district or city leaders): [{code, name, …}]. */
export const getCommunities = () => api('GET', '/api/v1/areas?level=community');
const boardQuery = ({ level, code, from, to }) =>
  new URLSearchParams({ level, code, ...(from ? { from } : {}), ...(to ? { to } : {}) }).toString();
/** 案件统计: a unit's case figures with their formulas, its children side by side. */
export const getCaseBoard = (q) => api('GET', `/api/v1/boards/cases?${boardQuery(q)}`);
/** The board (`what` 'board') or the community's case list ('cases') as a CSV or XLSX Blob. */
export const getCaseExport = (what, fmt, q) =>
  what === 'board'
    ? api('GET', `/api/v1/boards/cases.${fmt}?${boardQuery(q)}`, { as: 'blob' })
    : api('GET', `/api/v1/communities/${encodeURIComponent(q.code)}/cases.${fmt}?${boardQuery(q)}`, { as: 'blob' });
export const getCommunityHours = (code) => api('GET', `/api/v1/communities/${encodeURIComponent(code)}/hours`);

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
/**
 * Sends a CSV/XLSX file as the raw body. kind: 'residents' | 'volunteers'.
 * Resolves the import report; a refused file (422, nothing imported) rejects
 * with ApiError whose `body` is the same report.
 */
export function importPeople(kind, file) {
  const type = /\.xlsx$/i.test(file.name || '') ? XLSX : file.type && file.type !== 'application/vnd.ms-excel' ? file.type : 'text/csv';
  const body = file.type === type ? file : new Blob([file], { type });
  return api('POST', `/api/v1/${kind}/import`, { body });
}
