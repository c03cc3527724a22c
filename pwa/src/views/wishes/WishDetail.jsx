// One wish: what was asked, where it stands, its history, and what this user
// can do next (withdraw, moderate, claim, release, mark fulfilled, confirm).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, getClaimOptions, getWish } from '../../api.js';
import { submit } from '../../outbox/index.js';
import { t } from '../../i18n/index.js';
import { isModerator, isResident, isVolunteer } from '../../roles.js';
import { ClaimAction, ModerationActions, useAction } from './actions.jsx';
import { ActionOutcome, CategoryTag, pendingFor, StateBadge, stateHint, wishAction } from './common.jsx';
import { formatDate, LoadError, Loading, PageHead, useLoad } from '../../ui/kit.jsx';
import { Photo, PhotoPicker } from '../../ui/photos.jsx';

function Fact({ label, children, testid }) {
  if (children == null || children === '') return null;
  return (
    <div class="fact">
      <dt>{label}</dt>
      <dd data-testid={testid}>{children}</dd>
    </div>
  );
}

function History({ events }) {
  return (
    <ol class="timeline" data-testid="wish-history">
      {events.map((event, i) => (
        <li key={i} class="timeline__item" data-testid="wish-event" data-action={event.action}>
          <span class="timeline__dot" aria-hidden="true" />
          <span class="timeline__what">{t(`wish.event.${event.action}`)}</span>
          <time class="muted" dateTime={event.at}>
            {formatDate(event.at)}
          </time>
          {event.note && <span class="timeline__note">{event.note}</span>}
        </li>
      ))}
    </ol>
  );
}

/** The claimant marks it done, with a short note and an optional photo. */
function FulfilForm({ wish, onDone }) {
  const { busy, outcome, run } = useAction(onDone);
  const [open, setOpen] = useState(false);
  const [note, setNote] = useState('');
  const [photo, setPhoto] = useState(null);
  const [missing, setMissing] = useState(false);
  if (!open) {
    return (
      <button type="button" class="btn btn--primary btn--block btn--huge" data-testid="wish-fulfil" onClick={() => setOpen(true)}>
        {t('wish.do.fulfil')}
      </button>
    );
  }
  const send = () => {
    if (!note.trim()) return setMissing(true);
    setMissing(false);
    return run('fulfil', () => wishAction(wish, 'fulfil', { body: { note: note.trim() }, photo }));
  };
  return (
    <div class="form actions" data-testid="fulfil-form">
      <label class="field">
        <span class="field__label">{t('wish.fulfil.note')}</span>
        <textarea rows={3} maxLength={200} data-testid="fulfil-note" value={note} placeholder={t('wish.fulfil.note_hint')} onInput={(e) => {
          setNote(e.currentTarget.value);
          setMissing(false);
        }} />
      </label>
      {missing && (
        <p class="alert alert--error" role="alert">
          {t('wish.fulfil.note_required')}
        </p>
      )}
      <div class="field">
        <span class="field__label">{t('wish.fulfil.photo')}</span>
        <PhotoPicker value={photo} onChange={setPhoto} testid="fulfil-photo" />
      </div>
      <button type="button" class="btn btn--primary btn--block btn--huge" data-testid="fulfil-submit" disabled={!!busy} onClick={send}>
        {busy && <span class="spinner" aria-hidden="true" />}
        {t('wish.fulfil.submit')}
      </button>
      <ActionOutcome outcome={outcome} />
    </div>
  );
}

/** The resident says it was done, and may say thank you. */
function ConfirmForm({ wish, onDone }) {
  const { busy, outcome, run } = useAction(onDone);
  const [thanks, setThanks] = useState('');
  const send = () =>
    run('confirm', () => wishAction(wish, 'confirm', { body: thanks.trim() ? { thanks: thanks.trim() } : {} }));
  return (
    <div class="form actions actions--confirm" data-testid="confirm-form">
      <p class="done__big">{t('wish.confirm.question')}</p>
      <label class="field">
        <span class="field__label">{t('wish.confirm.thanks')}</span>
        <textarea rows={3} maxLength={200} data-testid="confirm-thanks" value={thanks} placeholder={t('wish.confirm.thanks_hint')} onInput={(e) => setThanks(e.currentTarget.value)} />
      </label>
      <button type="button" class="btn btn--primary btn--block btn--huge" data-testid="wish-confirm" disabled={!!busy} onClick={send}>
        {busy && <span class="spinner" aria-hidden="true" />}
        {t('wish.do.confirm')}
      </button>
      <ActionOutcome outcome={outcome} />
    </div>
  );
}

/** Moderators edit personal details out of a thank-you, or take it off the public wall. */
function ThanksModeration({ wish, onDone }) {
  const { busy, outcome, run } = useAction(onDone);
  const [open, setOpen] = useState(false);
  const [thanks, setThanks] = useState(wish.thanks || '');
  const save = (text) =>
    run('edit', () =>
      submit({
        kind: 'wish.edit',
        method: 'PATCH',
        path: `/api/v1/wishes/${wish.id}`,
        body: { thanks: text },
        label: { action: 'edit', title: wish.title, wish_id: wish.id },
      }),
    );
  if (!open) {
    return (
      <button type="button" class="btn btn--ghost btn--block" data-testid="thanks-moderate" onClick={() => setOpen(true)}>
        {t('wish.thanks.moderate')}
      </button>
    );
  }
  return (
    <div class="form actions" data-testid="thanks-moderation">
      <p class="muted">{t('wish.thanks.moderate_hint')}</p>
      <textarea rows={3} maxLength={200} data-testid="thanks-edit" value={thanks} onInput={(e) => setThanks(e.currentTarget.value)} />
      <div class="actions__row">
        <button type="button" class="btn btn--primary" data-testid="thanks-save" disabled={!!busy || !thanks.trim()} onClick={() => save(thanks.trim())}>
          {t('wish.do.save')}
        </button>
        <button type="button" class="btn btn--danger" data-testid="thanks-hide" disabled={!!busy} onClick={() => save('')}>
          {t('wish.thanks.hide')}
        </button>
      </div>
      <ActionOutcome outcome={outcome} />
    </div>
  );
}

/** Withdraw or release: asks once more before doing it. */
function TwoStepAction({ wish, action, testid, question, onDone }) {
  const { busy, outcome, run } = useAction(onDone);
  const [sure, setSure] = useState(false);
  return (
    <div class="actions">
      {!sure ? (
        <button type="button" class="btn btn--ghost btn--block" data-testid={testid} onClick={() => setSure(true)}>
          {t(`wish.do.${action}`)}
        </button>
      ) : (
        <div class="form">
          <p class="field__label">{question}</p>
          <div class="actions__row">
            <button type="button" class="btn btn--danger" data-testid={`${testid}-confirm`} disabled={!!busy} onClick={() => run(action, () => wishAction(wish, action))}>
              {busy && <span class="spinner" aria-hidden="true" />}
              {t('wish.do.yes')}
            </button>
            <button type="button" class="btn btn--ghost" onClick={() => setSure(false)}>
              {t('wish.do.no')}
            </button>
          </div>
        </div>
      )}
      <ActionOutcome outcome={outcome} />
    </div>
  );
}

/** Claiming from the wish's own page: the options of its community, then the choice. */
/** 上门地址: the claimer asks for the door when they set out; the server logs each ask. */
function AddressReveal({ wish }) {
  const [answer, setAnswer] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const ask = async () => {
    setBusy(true);
    setError(null);
    try {
      setAnswer(await api('POST', `/api/v1/wishes/${wish.id}/address`));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  if (answer) {
    return (
      <div class="card address" data-testid="wish-address">
        <p class="field__label">{t('wish.field.address')}</p>
        <p class="address__text">{[answer.building, answer.unit].filter(Boolean).join(' ')}</p>
      </div>
    );
  }
  return (
    <div class="actions">
      <button type="button" class="btn btn--block" data-testid="wish-address-show" disabled={busy} onClick={ask}>
        {busy && <span class="spinner" aria-hidden="true" />}
        {t('wish.address.show')}
      </button>
      <p class="muted">{t('wish.address.hint')}</p>
      {error && <ActionOutcome outcome={{ error }} />}
    </div>
  );
}

function DetailClaim({ wish, user, onDone }) {
  const options = useLoad(() => getClaimOptions(wish.community_code), [wish.community_code]);
  if (options.state === 'loading') return null;
  return <ClaimAction wish={wish} user={user} options={options.data} onDone={onDone} />;
}

export default function WishDetail({ id, user, outbox }) {
  const back = isModerator(user) && !isResident(user) && !isVolunteer(user) ? '#/moderate' : '#/wishes';
  const wish = useLoad(() => getWish(id), [id]);
  const sent = useRef(outbox.sent);
  useEffect(() => {
    if (outbox.sent !== sent.current) {
      sent.current = outbox.sent;
      wish.reload();
    }
  }, [outbox.sent]);

  const onDone = (outcome) => {
    if (outcome.status === 'sent' && outcome.result && outcome.result.id === id) wish.setData(outcome.result);
    else if (outcome.status === 'sent') wish.reload();
  };

  if (wish.state === 'loading') {
    return (
      <section class="page page--narrow stack">
        <PageHead title={t('wish.detail.title')} back={back} />
        <Loading />
      </section>
    );
  }
  if (!wish.data) {
    return (
      <section class="page page--narrow stack">
        <PageHead title={t('wish.detail.title')} back={back} />
        <LoadError error={wish.error} onRetry={wish.reload} />
      </section>
    );
  }

  const w = wish.data;
  // The server says what this user may do now, by the same rules it enforces.
  const may = (action) => (w.allowed_actions || []).includes(action);
  const waiting = pendingFor(outbox, w.id);
  const locked = waiting.length > 0; // one change at a time while one waits to be sent

  return (
    <section class="page page--narrow stack wishdetail" aria-labelledby="page-title" data-testid="wish-detail" data-id={w.id} data-state={w.state}>
      <PageHead title={t('wish.detail.title')} back={back} />
      <article class="card">
        <div class="wishdetail__head">
          <h2 data-testid="wish-detail-title">{w.title}</h2>
          <StateBadge state={w.state} />
        </div>
        <p class="wishdetail__state" data-testid="wish-state-hint">
          {stateHint(w, user)}
        </p>
        <CategoryTag category={w.category} />
        {w.description && <p class="wishdetail__text">{w.description}</p>}
        {(w.original_title || w.original_description) && (
          <div class="original" data-testid="wish-original">
            <p class="field__label">{t('wish.moderate.original')}</p>
            {w.original_title && <p>{w.original_title}</p>}
            {w.original_description && <p>{w.original_description}</p>}
          </div>
        )}
        <Photo mediaKey={w.photo} alt={t('wish.photo_of', { title: w.title })} />
        <dl class="facts">
          <Fact label={t('wish.field.beneficiary')}>{w.beneficiary}</Fact>
          <Fact label={t('wish.field.phone')}>{w.beneficiary_phone}</Fact>
          <Fact label={t('wish.field.building')}>{w.building}</Fact>
          <Fact label={t('wish.field.grid')}>{w.grid}</Fact>
          <Fact label={t('wish.field.created')}>{formatDate(w.created_at)}</Fact>
          {['approved', 'submitted'].includes(w.state) && <Fact label={t('wish.field.expires')}>{formatDate(w.expires_at)}</Fact>}
          <Fact label={t('wish.field.claimant')} testid="wish-claimant">
            {w.claimant &&
              (w.claimant_kind
                ? t('wish.field.claimant_as', { name: w.claimant, kind: t(`wish.claim.kind_${w.claimant_kind}`) })
                : w.claimant)}
          </Fact>
          <Fact label={t('wish.field.reject_reason')} testid="wish-reject-reason-shown">{w.reject_reason}</Fact>
          <Fact label={t('wish.field.proof')} testid="wish-proof">{w.proof_note}</Fact>
          <Fact label={t('wish.field.thanks')} testid="wish-thanks">{w.thanks}</Fact>
        </dl>
        <Photo mediaKey={w.proof_photo} alt={t('wish.field.proof')} testid="wish-proof-photo" />
      </article>

      {locked && (
        <div class="alert alert--info" role="status" data-testid="wish-pending-action">
          <p>{t('wish.detail.waiting', { what: waiting.map((c) => t(`outbox.kind.${c.label.action}`)).join('、') })}</p>
        </div>
      )}

      {!locked && (
        <div class="wishdetail__actions">
          {(may('approve') || may('edit')) && <ModerationActions wish={w} onDone={onDone} />}
          {may('claim') && <DetailClaim wish={w} user={user} onDone={onDone} />}
          {may('address') && <AddressReveal wish={w} />}
          {may('fulfil') && <FulfilForm wish={w} onDone={onDone} />}
          {may('confirm') && <ConfirmForm wish={w} onDone={onDone} />}
          {may('edit_thanks') && <ThanksModeration wish={w} onDone={onDone} />}
          {may('release') && (
            <TwoStepAction wish={w} action="release" testid="wish-release" question={t('wish.release.question')} onDone={onDone} />
          )}
          {may('withdraw') && (
            <TwoStepAction wish={w} action="withdraw" testid="wish-withdraw" question={t('wish.withdraw.question')} onDone={onDone} />
          )}
        </div>
      )}

      <h2 class="section-title">{t('wish.detail.history')}</h2>
      <History events={w.history || []} />
    </section>
  );
}
