// The people endpoints the staff screens use beyond those in api.js (same client:
// bearer token, one refresh on 401, localised errors).
import { api } from '../../api.js';

const query = (params) => {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '' && v != null)).toString();
  return q ? `?${q}` : '';
};

/** {total, items, limit, offset}: q is a name's start, a phone's last 4 digits or a building code. */
export const findResidents = (params) => api('GET', `/api/v1/residents${query(params)}`);
/** Up to 20 buildings of my area by code prefix or a piece of name/address. */
export const findBuildings = (q) => api('GET', `/api/v1/buildings${query({ q, limit: 20 })}`);
/** {resident_id, user_id, phone_masked, password, account_created}: shown once. */
export const residentPassword = (id) => api('POST', `/api/v1/residents/${id}/temporary-password`);
export const removeServiceGroupMember = (groupId, userId) => api('DELETE', `/api/v1/service-groups/${groupId}/members/${userId}`);
export const getPartyMembers = (params = {}) => api('GET', `/api/v1/party-members${query(params)}`);
export const savePartyMember = (userId, body) => api('PUT', `/api/v1/volunteers/${userId}/party-member`, { body });
export const getOrgs = () => api('GET', '/api/v1/volunteer-orgs');
export const createOrg = (body) => api('POST', '/api/v1/volunteer-orgs', { body });
export const addOrgMember = (orgId, userId) => api('POST', `/api/v1/volunteer-orgs/${orgId}/members`, { body: { user_id: userId } });
export const removeOrgMember = (orgId, userId) => api('DELETE', `/api/v1/volunteer-orgs/${orgId}/members/${userId}`);
/** {care_tags, trades}: [{code, label}], label set for a city's own terms. */
export const getVocabulary = () => api('GET', '/api/v1/people/vocabulary');
