import { t } from '../i18n/index.js';
import { isModerator, isResident, isVolunteer, managesPeople, seesBoard, setsQuietHours } from '../roles.js';

const KNOWN_ROLES = [
  'resident',
  'volunteer',
  'grid_worker',
  'community_staff',
  'community_admin',
  'subdistrict_admin',
  'system_admin',
];

function roleName(role) {
  return KNOWN_ROLES.includes(role) ? t(`role.${role}`) : t('role.other', { role });
}

function scopeName(assignment) {
  if (assignment.scope_name) return assignment.scope_name;
  if (assignment.scope_code) return assignment.scope_code;
  return assignment.role === 'system_admin' ? t('scope.all') : '';
}

// The wish cards this user gets, by role: [testid, href, title key, hint key, icon].
function wishCards(user) {
  const cards = [];
  if (isResident(user)) {
    cards.push(['home-new-wish', '#/wishes/new', 'home.new_wish', 'home.new_wish_hint', '＋']);
    cards.push(['home-my-wishes', '#/wishes', 'home.my_wishes', 'home.my_wishes_hint', '♡']);
  }
  if (isModerator(user)) cards.push(['home-moderate', '#/moderate', 'home.moderate', 'home.moderate_hint', '✓']);
  if (managesPeople(user)) cards.push(['home-people', '#/people', 'home.people', 'home.people_hint', '☷']);
  if (isModerator(user)) cards.push(['home-stats', '#/stats', 'home.stats', 'home.stats_hint', '▤']);
  if (isModerator(user)) cards.push(['home-businesses', '#/businesses', 'home.businesses', 'home.businesses_hint', '♥']);
  if (setsQuietHours(user)) cards.push(['home-quiet-hours', '#/quiet-hours', 'home.quiet_hours', 'home.quiet_hours_hint', '☾']);
  if (seesBoard(user)) cards.push(['home-board', '#/board', 'home.board', 'home.board_hint', '★']);
  if (isVolunteer(user)) {
    if (!isResident(user)) cards.push(['home-my-wishes', '#/wishes', 'home.my_claims', 'home.my_claims_hint', '♡']);
    cards.push(['home-hours', '#/hours', 'home.hours', 'home.hours_hint', '◷']);
  }
  cards.push(['home-thanks', '#/thanks', 'home.thanks', 'home.thanks_hint', '❀']);
  cards.push(['home-notifications', '#/notifications', 'home.notifications', 'home.notifications_hint', '✉']);
  return cards;
}

export function Home({ user, onLogout }) {
  const roles = user.roles || [];
  return (
    <section class="page home" aria-labelledby="home-title">
      <div class="home__profile card">
        <h1 id="home-title">{t('home.greeting', { name: user.name })}</h1>
        {user.phone_masked && <p class="muted">{t('home.phone', { phone: user.phone_masked })}</p>}
        <a class="btn btn--primary btn--block btn--big" href="#/map" data-testid="open-map">
          <svg class="btn__icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <path d="M9 4 3 6.5v13.5l6-2.5 6 2.5 6-2.5V4l-6 2.5L9 4Zm0 2.2 6 2.5v11.1l-6-2.5V6.2Z" fill="currentColor" />
          </svg>
          <span>
            <span class="btn__title">{t('home.open_map')}</span>
            <span class="btn__hint">{t('home.open_map_hint')}</span>
          </span>
        </a>
        <nav class="home__wishes" aria-label={t('home.wishes')}>
          {wishCards(user).map(([testid, href, title, hint, icon]) => (
            <a key={testid} class="btn btn--ghost btn--block btn--big homecard" href={href} data-testid={testid}>
              <span class="homecard__icon" aria-hidden="true">
                {icon}
              </span>
              <span>
                <span class="btn__title">{t(title)}</span>
                <span class="btn__hint">{t(hint)}</span>
              </span>
            </a>
          ))}
        </nav>
      </div>
      <div class="home__roles">
        <h2>{t('home.roles')}</h2>
        {roles.length === 0 && <p class="card muted">{t('home.no_roles')}</p>}
        <ul class="roles">
          {roles.map((assignment) => {
            const scope = scopeName(assignment);
            return (
              <li
                key={`${assignment.role}:${assignment.scope_code || ''}`}
                class={`card role role--${assignment.scope_level || 'all'}`}
                data-testid="role-card"
                data-role={assignment.role}
              >
                <span class="role__name">{roleName(assignment.role)}</span>
                {scope && (
                  <>
                    <span class="role__sep" aria-hidden="true">
                      {' · '}
                    </span>
                    <span class="role__scope">{scope}</span>
                  </>
                )}
              </li>
            );
          })}
        </ul>
        <button type="button" class="btn btn--ghost btn--block home__logout" data-testid="logout" onClick={onLogout}>
          {t('logout')}
        </button>
      </div>
    </section>
  );
}
