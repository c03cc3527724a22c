import { getMyTasks } from '../api.js';
import { t } from '../i18n/index.js';
import { isModerator, isStaff } from '../roles.js';
import { cardsFor } from '../routes.js';
import { useLoad } from '../ui/kit.jsx';

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

const isGridWorker = (user) => (user.roles || []).some((r) => r.role === 'grid_worker');

/**
 * What waits for a grid worker or the office, counted by the server in their
 * scope: [key, count, href|null] for the counts their roles act on.
 */
export function taskRows(user, tasks) {
  if (!tasks) return [];
  const rows = [];
  if (isModerator(user)) rows.push(['to_moderate', tasks.to_moderate, '#/moderate']);
  if (isGridWorker(user)) rows.push(['open_in_my_grids', tasks.open_in_my_grids, '#/board']);
  rows.push(['to_confirm', tasks.to_confirm, null]);
  return rows;
}

export function Tasks({ rows, title = 'home.tasks', testid = 'home-tasks' }) {
  return (
    <section class="tasks" aria-labelledby="tasks-title" data-testid={testid}>
      <h2 id="tasks-title" class="tasks__title">
        {t(title)}
      </h2>
      <ul class="tasks__list">
        {rows.map(([key, count, href]) => {
          const body = (
            <>
              <strong class="tasks__count">{count}</strong>
              <span>{t(`home.tasks.${key}`)}</span>
            </>
          );
          return (
            <li key={key} data-testid={`task-${key}`} data-count={count} class={count > 0 ? 'tasks__item tasks__item--due' : 'tasks__item'}>
              {href ? (
                <a class="tasks__link" href={href}>
                  {body}
                </a>
              ) : (
                <span class="tasks__link">{body}</span>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

export function Home({ user, onLogout }) {
  const roles = user.roles || [];
  const staff = isStaff(user);
  // Counts for staff only (offline: the last answer the service worker kept).
  const tasks = useLoad(() => (staff ? getMyTasks() : Promise.resolve(null)), [staff]);
  const rows = taskRows(user, staff ? tasks.data : null);
  const counts = Object.fromEntries(rows.map(([key, count]) => [key, count]));
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
        {rows.length > 0 && <Tasks rows={rows} />}
        <nav class="home__wishes" aria-label={t('home.wishes')}>
          {cardsFor(user).map(({ testid, href, title, hint, icon }) => (
            <a key={testid} class="btn btn--ghost btn--block btn--big homecard" href={href} data-testid={testid}>
              <span class="homecard__icon" aria-hidden="true">
                {icon}
              </span>
              <span>
                <span class="btn__title">{t(title)}</span>
                <span class="btn__hint">{t(hint)}</span>
              </span>
              {testid === 'home-moderate' && counts.to_moderate > 0 && (
                <span class="homecard__count" data-testid="home-moderate-count" aria-label={t('home.tasks.waiting_n', { count: counts.to_moderate })}>
                  {counts.to_moderate}
                </span>
              )}
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
