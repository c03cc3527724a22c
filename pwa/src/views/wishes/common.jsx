// Pieces every wish screen uses: categories, state badges, and the one way to
// act on a wish (through the outbox). Page heads, loading, photos and the
// community picker are the UI kit's (src/ui/).
import { t } from '../../i18n/index.js';
import { submit } from '../../outbox/index.js';
import { targetOf } from '../../workflow.js';
import { isResident, isStaff, isVolunteer } from '../../roles.js';

export const CATEGORIES = [
  ['daily_help', '🛒'],
  ['repair', '🔧'],
  ['health', '💊'],
  ['study', '📚'],
  ['companionship', '💬'],
  ['goods', '📦'],
  ['other', '✨'],
];
const ICONS = Object.fromEntries(CATEGORIES);

export const wishHref = (id) => `#/wishes/${id}`;

export function StateBadge({ state }) {
  return (
    <span class={`badge badge--${state}`} data-testid="wish-state" data-state={state}>
      {t(`wish.state.${state}`)}
    </span>
  );
}

export function CategoryTag({ category }) {
  return (
    <span class="tag">
      <span aria-hidden="true">{ICONS[category] || '✨'} </span>
      {t(`wish.category.${category}`)}
    </span>
  );
}

/**
 * Acts on a wish through the outbox: resolves {status: 'sent', result: WishView}
 * or {status: 'queued'}; rejects with ApiError (the server's reason) on a refusal.
 */
export async function wishAction(wish, action, { body, photo } = {}) {
  const target = await targetOf('wish', wish.state, action);
  return submit({
    kind: `wish.${action}`,
    path: `/api/v1/wishes/${wish.id}/${action}`,
    body: body || {},
    blobs: photo ? { photo: photo.blob } : null,
    expect: target ? { path: `/api/v1/wishes/${wish.id}`, state: target, version: wish.version } : null,
    label: { action, title: wish.title, wish_id: wish.id },
  });
}

/** Pending outbox commands about this wish. */
export const pendingFor = (snapshot, wishId) =>
  snapshot.pending.filter((c) => c.label && c.label.wish_id === wishId);

/** The outcome of an action, said in plain words. */
export function ActionOutcome({ outcome }) {
  if (!outcome) return null;
  if (outcome.error) {
    return (
      <div class="alert alert--error" role="alert" data-testid="wish-action-error">
        <p>{outcome.error.detail || String(outcome.error)}</p>
      </div>
    );
  }
  if (outcome.status === 'queued') {
    return (
      <div class="alert alert--info" role="status" data-testid="wish-action-queued">
        <p>{t('outbox.saved_offline')}</p>
      </div>
    );
  }
  return null;
}

const HELPER_ACTIONS = ['fulfil', 'release'];
const RESIDENT_ACTIONS = ['confirm', 'withdraw'];

/**
 * Whom a wish's words should speak to: 'resident' (it is theirs: 请您确认),
 * 'helper' (they took it on: 等居民确认) or 'staff' (plain third person).
 * The server's allowed actions and the claimer-only address say it where they
 * can; otherwise the roles, and for someone both resident and volunteer,
 * whether they are the one named as claimant.
 */
export function perspective(wish, user) {
  const actions = wish.allowed_actions || [];
  if (actions.some((a) => HELPER_ACTIONS.includes(a)) || wish.address != null) return 'helper';
  if (actions.some((a) => RESIDENT_ACTIONS.includes(a))) return 'resident';
  const resident = isResident(user);
  const volunteer = isVolunteer(user);
  if (resident && volunteer) return wish.claimant && user && wish.claimant === user.name ? 'helper' : 'resident';
  if (resident) return 'resident';
  if (volunteer) return 'helper';
  return isStaff(user) ? 'staff' : 'resident';
}

const HELPER_HINTS = ['approved', 'claimed', 'fulfilled', 'confirmed'];

/** The one-line explanation of a wish's state, in words for this reader. */
export function stateHint(wish, user) {
  const who = perspective(wish, user);
  if (who === 'resident') return t(`wish.state_hint.${wish.state}`);
  if (who === 'helper' && HELPER_HINTS.includes(wish.state)) return t(`wish.helper_hint.${wish.state}`);
  return t(`wish.staff_hint.${wish.state}`);
}
