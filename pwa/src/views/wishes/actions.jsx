// Action panels shared by several screens: moderation (queue and detail) and
// claiming (board and detail). Every action goes through the outbox.
import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { submit } from '../../outbox/index.js';
import { isPartyMember, isVolunteer, volunteersIn } from '../../roles.js';
import { ActionOutcome, wishAction } from './common.jsx';

/** Runs one action at a time; `onDone(outcome, action)` after a sent or queued one. */
function useAction(onDone) {
  const [busy, setBusy] = useState('');
  const [outcome, setOutcome] = useState(null);
  const run = async (action, work) => {
    if (busy) return;
    setBusy(action);
    setOutcome(null);
    try {
      const result = await work();
      setOutcome(result);
      onDone(result, action);
    } catch (error) {
      setOutcome({ error });
    } finally {
      setBusy('');
    }
  };
  return { busy, outcome, run };
}

/** Approve, reject (a reason is required: the resident reads it) and edit. */
export function ModerationActions({ wish, onDone }) {
  const { busy, outcome, run } = useAction(onDone);
  const [mode, setMode] = useState(''); // '' | 'reject' | 'edit'
  const [reason, setReason] = useState('');
  const [reasonMissing, setReasonMissing] = useState(false);
  const [title, setTitle] = useState(wish.title);
  const [description, setDescription] = useState(wish.description);
  const submitted = wish.state === 'submitted';
  const editable = submitted || wish.state === 'approved';
  if (!editable) return null;

  const reject = () => {
    if (!reason.trim()) return setReasonMissing(true);
    setReasonMissing(false);
    return run('reject', () => wishAction(wish, 'reject', { body: { reason: reason.trim() } }));
  };
  const saveEdit = () => {
    const body = {};
    if (title.trim() !== wish.title) body.title = title.trim();
    if (description.trim() !== wish.description) body.description = description.trim();
    if (!Object.keys(body).length) return setMode('');
    return run('edit', async () => {
      const result = await submit({
        kind: 'wish.edit',
        method: 'PATCH',
        path: `/api/v1/wishes/${wish.id}`,
        body,
        label: { action: 'edit', title: wish.title, wish_id: wish.id },
      });
      setMode('');
      return result;
    });
  };

  return (
    <div class="actions" data-testid="moderation-actions">
      {mode === '' && (
        <div class="actions__row">
          {submitted && (
            <button type="button" class="btn btn--primary" data-testid="wish-approve" disabled={!!busy} onClick={() => run('approve', () => wishAction(wish, 'approve'))}>
              {busy === 'approve' && <span class="spinner" aria-hidden="true" />}
              {t('wish.do.approve')}
            </button>
          )}
          {submitted && (
            <button type="button" class="btn btn--danger" data-testid="wish-reject" disabled={!!busy} onClick={() => setMode('reject')}>
              {t('wish.do.reject')}
            </button>
          )}
          <button type="button" class="btn btn--ghost" data-testid="wish-edit" disabled={!!busy} onClick={() => setMode('edit')}>
            {t('wish.do.edit')}
          </button>
        </div>
      )}
      {mode === 'reject' && (
        <div class="form">
          <label class="field">
            <span class="field__label">{t('wish.moderate.reason')}</span>
            <textarea
              rows={3}
              maxLength={200}
              data-testid="wish-reject-reason"
              value={reason}
              placeholder={t('wish.moderate.reason_hint')}
              onInput={(e) => setReason(e.currentTarget.value)}
            />
          </label>
          {reasonMissing && (
            <p class="alert alert--error" role="alert" data-testid="wish-reject-missing">
              {t('wish.moderate.reason_required')}
            </p>
          )}
          <div class="actions__row">
            <button type="button" class="btn btn--danger" data-testid="wish-reject-submit" disabled={!!busy} onClick={reject}>
              {busy === 'reject' && <span class="spinner" aria-hidden="true" />}
              {t('wish.do.reject')}
            </button>
            <button type="button" class="btn btn--ghost" onClick={() => setMode('')}>
              {t('wish.do.cancel')}
            </button>
          </div>
        </div>
      )}
      {mode === 'edit' && (
        <div class="form">
          <p class="muted">{t('wish.moderate.edit_hint')}</p>
          <label class="field">
            <span class="field__label">{t('wish.new.what')}</span>
            <input type="text" maxLength={60} data-testid="wish-edit-title" value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
          </label>
          <label class="field">
            <span class="field__label">{t('wish.new.description')}</span>
            <textarea rows={4} maxLength={1000} data-testid="wish-edit-description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
          </label>
          <div class="actions__row">
            <button type="button" class="btn btn--primary" data-testid="wish-edit-save" disabled={!!busy} onClick={saveEdit}>
              {busy === 'edit' && <span class="spinner" aria-hidden="true" />}
              {t('wish.do.save')}
            </button>
            <button type="button" class="btn btn--ghost" onClick={() => setMode('')}>
              {t('wish.do.cancel')}
            </button>
          </div>
        </div>
      )}
      <ActionOutcome outcome={outcome} />
    </div>
  );
}

/**
 * The ways this user may claim a wish: as a volunteer or party member, for one
 * of their service groups, or for a caring business. `options` comes from
 * /communities/{code}/claim-options; before it has loaded (or offline on first
 * use) the roles give the personal kinds. The server checks again.
 */
export function claimChoices(user, options, communityCode) {
  if (!options) {
    // Volunteers claim only in the community their volunteer role is bound to.
    const kinds = [];
    if (!volunteersIn(user, communityCode)) return kinds;
    if (isVolunteer(user)) kinds.push({ kind: 'volunteer', label: t('wish.claim.kind_volunteer') });
    if (isPartyMember(user)) kinds.push({ kind: 'party_member', label: t('wish.claim.kind_party_member') });
    return kinds;
  }
  const choices = [];
  for (const kind of options.kinds) {
    if (kind === 'volunteer' || kind === 'party_member') choices.push({ kind, label: t(`wish.claim.kind_${kind}`) });
  }
  for (const group of options.service_groups) {
    choices.push({ kind: 'service_group', service_group_id: group.id, label: t('wish.claim.for_group', { name: group.name }) });
  }
  for (const business of options.businesses) {
    choices.push({ kind: 'business', storefront_code: business.code, label: t('wish.claim.for_business', { name: business.name }) });
  }
  return choices;
}

function claimBody({ kind, service_group_id, storefront_code }) {
  if (kind === 'volunteer') return {};
  if (kind === 'service_group') return { kind, service_group_id };
  if (kind === 'business') return { kind, storefront_code };
  return { kind };
}

/** 我来帮: claim, choosing in whose name when there is more than one way. */
export function ClaimAction({ wish, user, options, onDone }) {
  const { busy, outcome, run } = useAction(onDone);
  const [choosing, setChoosing] = useState(false);
  const choices = claimChoices(user, options, wish.community_code);
  if (!choices.length) return null;
  const claim = (choice) => run('claim', () => wishAction(wish, 'claim', { body: claimBody(choice) }));

  return (
    <div class="actions" data-testid="claim-actions">
      {!choosing ? (
        <button
          type="button"
          class="btn btn--primary btn--block btn--huge"
          data-testid="wish-claim"
          data-id={wish.id}
          disabled={!!busy}
          onClick={() => (choices.length > 1 ? setChoosing(true) : claim(choices[0]))}
        >
          {busy && <span class="spinner" aria-hidden="true" />}
          {t('wish.do.claim')}
        </button>
      ) : (
        <div class="form">
          <p class="field__label">{t('wish.claim.as')}</p>
          {choices.map((choice) => (
            <button
              key={`${choice.kind}-${choice.service_group_id || choice.storefront_code || ''}`}
              type="button"
              class="btn btn--primary btn--block"
              data-testid="claim-as"
              data-kind={choice.kind}
              data-target={choice.service_group_id || choice.storefront_code || ''}
              disabled={!!busy}
              onClick={() => claim(choice)}
            >
              {choice.label}
            </button>
          ))}
          <button type="button" class="btn btn--ghost btn--block" onClick={() => setChoosing(false)}>
            {t('wish.do.cancel')}
          </button>
        </div>
      )}
      <ActionOutcome outcome={outcome} />
    </div>
  );
}

export { useAction };
