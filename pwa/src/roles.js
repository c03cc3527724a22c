// What a user may do, as the server says in /api/v1/me: `can` (capabilities from
// the one table beside the role groups, server/accounts/models.py) and
// `party_member`. The server decides in the end (403 with a reason); this only
// picks which screens to offer. What a user may do to one wish is in that
// wish's `allowed_actions`.
import { getMap } from './api.js';

/** Does the server say this user may do `what` (e.g. 'wish.moderate')? */
export const can = (user, what) => Boolean(user && (user.can || []).includes(what));

export const isResident = (user) => can(user, 'wish.post');
export const isVolunteer = (user) => can(user, 'wish.claim');
/** Is the user a volunteer of this community (where their volunteer role is bound)? */
export const volunteersIn = (user, communityCode) =>
  ((user && user.roles) || []).some((r) => r.role === 'volunteer' && r.scope_code === communityCode);
export const isModerator = (user) => can(user, 'wish.moderate');
export const isStaff = (user) => can(user, 'wish.post_for_resident');
/** Who looks after residents, volunteers and service groups (居民与队伍). */
export const managesPeople = (user) => can(user, 'people.manage');
/** Who sees the community board: volunteers and staff (anyone may open it by address). */
export const seesBoard = (user) => can(user, 'wish.board');
export const seesStats = (user) => can(user, 'wish.stats');
export const managesBusinesses = (user) => can(user, 'businesses.manage');
/** Who sets a community's quiet hours (the server checks the community). */
export const setsQuietHours = (user) => can(user, 'notify.quiet_hours');
/** A party member registered with the office (not guessed from a job title). */
export const isPartyMember = (user) => Boolean(user && user.party_member);
/** Who makes staggered-hour visits: staff, and party members paired with households. */
export const makesVisits = (user) => can(user, 'visit.day') || isPartyMember(user);
/** Grid workers and community staff, whom the weekly plan sends out: they give their hours. */
export const givesVisitHours = (user) => can(user, 'visit.hours');
/** The community office and sub-district leaders: how many due visits were made on time. */
export const seesCoverage = (user) => can(user, 'visit.coverage');

/** Service cases 民意快线: a resident raises their own matters. */
export const reportsCases = (user) => can(user, 'case.report');
/** Staff: take a case in for someone, and work the cases of their grids (the inbox). */
export const takesCases = (user) => can(user, 'case.take_in');
/** The community office: its list of cases, acceptance, dispatch, closing and callbacks. */
export const officeCases = (user) => can(user, 'case.office');
// 三公开: the office writes its commitments and evaluations.
export const editsDisclosure = (user) => can(user, 'disclosure.edit');

/** The community office at a window 办事窗口: the day's queue, walk-ins looked up, intake for them. */
export const servesWindow = (user) => can(user, 'window.serve');

/** The system administrator: Open311 api_keys. */
export const managesOpen311 = (user) => can(user, 'open311.keys');

/** Staff: the case figures 案件统计 of their grids, community or sub-district. */
export const seesCaseBoard = (user) => can(user, 'case.board');

/** The community office, who plans the week's visits and keeps the care roster. */
export const plansVisits = (user) => can(user, 'visit.plan');

/** The community office, who reviews the visit records phones sent that could not be applied. */
export const reviewsVisits = (user) => can(user, 'visit.review');

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
