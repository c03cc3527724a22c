// What a user may do with wishes, read from the roles in /api/v1/me. The
// server decides in the end (403 with a reason); this only picks which
// screens and buttons to offer.
import { getMap } from './api.js';

export const MODERATOR_ROLES = ['community_staff', 'community_admin', 'subdistrict_admin', 'system_admin'];
// Who works with a wish in their scope (may confirm for a resident).
export const STAFF_ROLES = ['grid_worker', ...MODERATOR_ROLES];

const roleNames = (user) => ((user && user.roles) || []).map((r) => r.role);
const hasRole = (user, ...roles) => roleNames(user).some((role) => roles.includes(role));

export const isResident = (user) => hasRole(user, 'resident');
export const isVolunteer = (user) => hasRole(user, 'volunteer');
/** Is the user a volunteer of this community (where their volunteer role is bound)? */
export const volunteersIn = (user, communityCode) =>
  ((user && user.roles) || []).some((r) => r.role === 'volunteer' && r.scope_code === communityCode);
export const isModerator = (user) => hasRole(user, ...MODERATOR_ROLES);
/** Who sets a community's quiet hours (the server checks the community). */
export const setsQuietHours = (user) => hasRole(user, 'community_admin', 'subdistrict_admin', 'system_admin');
export const isStaff = (user) => hasRole(user, ...STAFF_ROLES);
/** Who looks after residents, volunteers and service groups (居民与队伍). */
export const managesPeople = (user) => hasRole(user, ...MODERATOR_ROLES);
/** Who sees the community board: volunteers and staff (anyone may open it by address). */
export const seesBoard = (user) => isVolunteer(user) || isStaff(user);

// The roles API has no party-member flag: a volunteer whose title says so
// ("在职党员") is offered to claim as a party member; the server checks.
const PARTY_TITLE = /党员|黨員|party member/i;
export const isPartyMember = (user) => ((user && user.roles) || []).some((r) => r.title && PARTY_TITLE.test(r.title));

/**
 * The communities whose boards this user looks at: [{code, name}], the first
 * the default. From community- or grid-level roles (a grid code starts with
 * its community's 12 digits); residents and wider roles take the communities
 * on their map.
 */
export async function userCommunities(user) {
  const found = new Map();
  for (const r of (user && user.roles) || []) {
    if (r.scope_level === 'community' && r.scope_code) found.set(r.scope_code, r.scope_name || r.scope_code);
    else if (r.scope_level === 'grid' && r.scope_code && r.scope_code.length > 12) {
      const code = r.scope_code.slice(0, 12);
      if (!found.has(code)) found.set(code, '');
    }
  }
  const named = [...found.values()].every(Boolean);
  if (!found.size || !named) {
    const map = await getMap();
    for (const f of (map && map.features) || []) {
      const p = f.properties || {};
      if (p.level === 'community' && p.code && (!found.size || found.has(p.code))) found.set(p.code, p.name || p.code);
    }
  }
  return [...found].map(([code, name]) => ({ code, name: name || code }));
}
