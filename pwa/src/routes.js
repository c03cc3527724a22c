// The one route table: every screen's address, how it is loaded, who is
// offered it, its title, and its card on the home screen (and in the side
// navigation on a desktop). A new domain (cases, visits) adds its screens
// here and nowhere else. The server decides in the end (403 with a reason);
// `show` only picks which screens to offer.
import { editsDisclosure, givesVisitHours, isModerator, isResident, isStaff, isVolunteer, managesBusinesses, makesVisits, managesPeople, officeCases, plansVisits, reportsCases, reviewsVisits, seesBoard, servesWindow, managesOpen311, seesCaseBoard, seesCoverage, seesStats, setsQuietHours, takesCases } from './roles.js';

const everyone = () => true;

/**
 * view: the screen's name (data-view on the app shell); path: the hash after
 * '#/', with ':id' for a number; load: the lazily loaded chunk (home, map and
 * login are in the main bundle); title: i18n key of the page title; show(user):
 * offered to this user; card(user): its home card [testid, title key, hint key,
 * icon], or null for none.
 */
export const ROUTES = [
  { view: 'login', path: 'login', title: 'login.title', public: true },
  // 社区三公开: a community's commitments, work in progress and results, for anyone
  // (no log-in); ':code' is the community's code.
  {
    view: 'disclosure',
    path: 'disclosure',
    load: () => import('./views/disclosure/Public.jsx'),
    title: 'disclosure.title',
    public: true,
    show: everyone,
    card: () => ['home-disclosure', 'disclosure.title', 'disclosure.hint', '☰'],
  },
  { view: 'disclosure-community', path: 'disclosure/:code', load: () => import('./views/disclosure/Public.jsx'), title: 'disclosure.title', public: true, show: everyone },
  { view: 'home', path: 'home', title: 'home.title', show: everyone, nav: ['nav-home', 'home.title', 'home.title', '⌂'] },
  { view: 'map', path: 'map', title: 'map.title', show: everyone, nav: ['nav-map', 'home.open_map', 'home.open_map_hint', '▦'] },
  {
    view: 'visits',
    path: 'visits',
    load: () => import('./views/visits/Day.jsx'),
    title: 'visit.day.title',
    show: makesVisits,
    card: () => ['home-visits', 'visit.day.title', 'visit.day.hint', '☀'],
  },
  {
    // Reached from the day screen: when I can go out on visits.
    view: 'visit-hours',
    path: 'visits/hours',
    load: () => import('./views/visits/Hours.jsx'),
    title: 'visit.hours.title',
    show: givesVisitHours,
  },
  {
    view: 'visit-plan',
    path: 'visits/plan',
    load: () => import('./views/visits/Plan.jsx'),
    title: 'visit.plan.title',
    show: plansVisits,
    card: () => ['home-visit-plan', 'visit.plan.title', 'visit.plan.hint', '▥'],
  },
  {
    view: 'visit-reports',
    path: 'visit-reports',
    load: () => import('./views/visits/Reports.jsx'),
    title: 'visit.reports.title',
    show: reviewsVisits,
    card: () => ['home-visit-reports', 'visit.reports.title', 'visit.reports.hint', '⚑'],
  },
  {
    view: 'care-roster',
    path: 'visits/roster',
    load: () => import('./views/visits/Roster.jsx'),
    title: 'visit.roster.title',
    show: plansVisits,
    card: () => ['home-care-roster', 'visit.roster.title', 'visit.roster.hint', '☰'],
  },
  {
    view: 'wish-new',
    path: 'wishes/new',
    load: () => import('./views/wishes/NewWish.jsx'),
    title: 'wish.new.title',
    // Residents ask for themselves; staff post for a resident who agreed.
    show: (user) => isResident(user) || isStaff(user),
    card: (user) =>
      isResident(user)
        ? ['home-new-wish', 'home.new_wish', 'home.new_wish_hint', '＋']
        : ['home-new-wish', 'home.post_for', 'home.post_for_hint', '＋'],
  },
  {
    view: 'wishes',
    path: 'wishes',
    load: () => import('./views/wishes/MyWishes.jsx'),
    title: 'wish.mine.title',
    show: (user) => isResident(user) || isVolunteer(user),
    card: (user) =>
      isResident(user)
        ? ['home-my-wishes', 'home.my_wishes', 'home.my_wishes_hint', '♡']
        : ['home-my-wishes', 'home.my_claims', 'home.my_claims_hint', '♡'],
  },
  { view: 'wish', path: 'wishes/:id', load: () => import('./views/wishes/WishDetail.jsx'), title: 'wish.detail.title' },
  {
    view: 'moderate',
    path: 'moderate',
    load: () => import('./views/wishes/Moderate.jsx'),
    title: 'wish.moderate.title',
    show: isModerator,
    card: () => ['home-moderate', 'home.moderate', 'home.moderate_hint', '✓'],
  },
  // Service cases 民意快线 (their screens are lazily loaded, like every domain's).
  {
    view: 'case-new',
    path: 'cases/new',
    load: () => import('./views/cases/NewCase.jsx'),
    title: 'case.new.title',
    show: (user) => reportsCases(user) || takesCases(user),
    card: (user) =>
      reportsCases(user)
        ? ['home-case-new', 'case.new.title', 'case.new.hint', '☎']
        : officeCases(user)
          ? ['home-case-intake', 'case.intake.title', 'case.intake.hint', '☎']
          : null,
  },
  // The window terminal 办事窗口 (a desktop screen), and the hall's public display 叫号屏.
  {
    view: 'window',
    path: 'window',
    load: () => import('./views/window/Terminal.jsx'),
    title: 'window.title',
    show: servesWindow,
    card: () => ['home-window', 'window.title', 'window.hint', '⌨'],
  },
  // Reached from the terminal: every window today, and (administrators) their setup.
  { view: 'window-setup', path: 'window/setup', load: () => import('./views/window/Setup.jsx'), title: 'window.setup.title', show: servesWindow },
  { view: 'hall', path: 'queue/:code', load: () => import('./views/window/Hall.jsx'), title: 'window.hall.short', public: true, show: everyone },
  {
    view: 'cases',
    path: 'cases',
    load: () => import('./views/cases/MyCases.jsx'),
    title: 'case.mine.title',
    show: reportsCases,
    card: () => ['home-my-cases', 'case.mine.title', 'case.mine.hint', '☰'],
  },
  {
    view: 'case-inbox',
    path: 'cases/inbox',
    load: () => import('./views/cases/Inbox.jsx'),
    title: 'case.inbox.title',
    show: takesCases,
    card: () => ['home-case-inbox', 'case.inbox.title', 'case.inbox.hint', '✎'],
  },
  {
    view: 'office-cases',
    path: 'cases/office',
    load: () => import('./views/cases/OfficeCases.jsx'),
    title: 'case.office.title',
    show: officeCases,
    card: () => ['home-office-cases', 'case.office.title', 'case.office.hint', '☷'],
  },
  { view: 'case', path: 'cases/:id', load: () => import('./views/cases/CaseDetail.jsx'), title: 'case.detail.title' },
  {
    view: 'people',
    path: 'people',
    load: () => import('./views/people/People.jsx'),
    title: 'people.title',
    show: managesPeople,
    card: () => ['home-people', 'home.people', 'home.people_hint', '☷'],
  },
  {
    view: 'stats',
    path: 'stats',
    load: () => import('./views/wishes/Stats.jsx'),
    title: 'wish.stats.title',
    show: seesStats,
    card: () => ['home-stats', 'home.stats', 'home.stats_hint', '▤'],
  },
  {
    view: 'visit-coverage',
    path: 'visit-coverage',
    load: () => import('./views/visits/Coverage.jsx'),
    title: 'visit.coverage.title',
    show: seesCoverage,
    card: () => ['home-visit-coverage', 'visit.coverage.title', 'visit.coverage.hint', '◔'],
  },
  {
    view: 'case-board',
    path: 'cases/board',
    load: () => import('./views/cases/Board.jsx'),
    title: 'case.board.title',
    show: seesCaseBoard,
    card: () => ['home-case-board', 'case.board.title', 'case.board.hint', '▧'],
  },
  // Reached from the resident list; each opening is written to the audit log.
  { view: 'resident-timeline', path: 'residents/:id/timeline', load: () => import('./views/people/Timeline.jsx'), title: 'timeline.title', show: isStaff },
  {
    view: 'businesses',
    path: 'businesses',
    load: () => import('./views/businesses/Businesses.jsx'),
    title: 'business.title',
    show: managesBusinesses,
    card: () => ['home-businesses', 'home.businesses', 'home.businesses_hint', '♥'],
  },
  {
    view: 'board',
    path: 'board',
    load: () => import('./views/wishes/Board.jsx'),
    title: 'wish.board.title',
    show: seesBoard,
    card: () => ['home-board', 'home.board', 'home.board_hint', '★'],
  },
  {
    view: 'hours',
    path: 'hours',
    load: () => import('./views/wishes/Hours.jsx'),
    title: 'wish.hours.title',
    show: isVolunteer,
    card: () => ['home-hours', 'home.hours', 'home.hours_hint', '◷'],
  },
  {
    view: 'thanks',
    path: 'thanks',
    load: () => import('./views/wishes/Thanks.jsx'),
    title: 'wish.thanks.title',
    show: everyone,
    card: () => ['home-thanks', 'home.thanks', 'home.thanks_hint', '❀'],
  },
  {
    view: 'notifications',
    path: 'notifications',
    load: () => import('./views/wishes/Notifications.jsx'),
    title: 'notify.title',
    show: everyone,
    card: () => ['home-notifications', 'home.notifications', 'home.notifications_hint', '✉'],
  },
  {
    view: 'disclosure-edit',
    path: 'disclosure-edit',
    load: () => import('./views/disclosure/Editor.jsx'),
    title: 'disclosure.edit.title',
    show: editsDisclosure,
    card: () => ['home-disclosure-edit', 'disclosure.edit.title', 'disclosure.edit.hint', '✎'],
  },
  {
    view: 'open311-keys',
    path: 'open311-keys',
    load: () => import('./views/open311/Keys.jsx'),
    title: 'open311.title',
    show: managesOpen311,
    card: () => ['home-open311-keys', 'open311.title', 'open311.hint', '⚿'],
  },
  {
    view: 'quiet-hours',
    path: 'quiet-hours',
    load: () => import('./views/QuietHours.jsx'),
    title: 'quiet.title',
    show: setsQuietHours,
    card: () => ['home-quiet-hours', 'home.quiet_hours', 'home.quiet_hours_hint', '☾'],
  },
];

const BY_VIEW = new Map(ROUTES.map((route) => [route.view, route]));
// Fixed paths before those with a parameter: 'wishes/new' is not wish number "new".
const MATCHERS = ROUTES.map((route) => ({
  route,
  regex: new RegExp(`^#/${route.path.replace(':id', '(\\d{1,10})').replace(':code', '(\\d{1,32})')}/?$`),
  fixed: !route.path.includes(':'),
})).sort((a, b) => Number(b.fixed) - Number(a.fixed));

export const routeOf = (view) => BY_VIEW.get(view) || null;

/** '#/wishes/42' → {view: 'wish', id: 42}; '#/disclosure/4109…' → {view, code}; unknown → {view: ''}. */
export function parseHash(hash) {
  for (const { route, regex } of MATCHERS) {
    const match = regex.exec(hash || '');
    if (!match) continue;
    if (!match[1]) return { view: route.view };
    return route.path.includes(':code') ? { view: route.view, code: match[1] } : { view: route.view, id: Number(match[1]) };
  }
  return { view: '' };
}

/** {view: 'wish', id: 42} → '#/wishes/42'. */
export function hashOf({ view, id, code }) {
  const route = BY_VIEW.get(view);
  return route ? `#/${route.path.replace(':id', String(id)).replace(':code', String(code))}` : `#/${view}`;
}

/** Is this route shown without logging in (the login screen, the public pages)? */
export const isPublic = (view) => Boolean(routeOf(view) && routeOf(view).public);

/** The screens this user is offered with a card: [{href, testid, title, hint, icon, view}], in table order. */
export function cardsFor(user) {
  return ROUTES.filter((route) => route.card && route.show && route.show(user) && route.card(user)).map((route) => {
    const [testid, title, hint, icon] = route.card(user);
    return { view: route.view, href: hashOf(route), testid, title, hint, icon };
  });
}
