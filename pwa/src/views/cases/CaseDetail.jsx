// One case: what was raised, where it stands and by when, its history (who, when,
// what), the resolution with its after-photo, the rating, and what this user may
// do now: exactly the server's `allowed_actions`, each through the outbox; for the
// office also changing the item and merging into a possible duplicate.
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { can } from '../../roles.js';
import { formatDate, LoadError, Loading, PageHead, useLoad } from '../../ui/kit.jsx';
import { Photo } from '../../ui/photos.jsx';
import { getCase, getCatalogue } from './casesApi.js';
import { Duplicates, Reclassify } from './CaseOfficeTools.jsx';
import { CaseActions, CaseState, Due, History, pendingFor } from './common.jsx';

function Fact({ label, children, testid }) {
  if (children == null || children === '') return null;
  return (
    <div class="fact">
      <dt>{label}</dt>
      <dd data-testid={testid}>{children}</dd>
    </div>
  );
}

/** A resident's wording of where things stand; staff read the state's name. */
function hint(kase, staff) {
  if (staff) return '';
  if (kase.state === 'closed' && kase.satisfaction) return t('case.hint.closed_rated');
  return t(`case.hint.${kase.state}`);
}

export default function CaseDetail({ id, user, outbox }) {
  const staff = can(user, 'case.take_in');
  const back = can(user, 'case.office') ? '#/cases/office' : staff ? '#/cases/inbox' : '#/cases';
  const kase = useLoad(() => getCase(id), [id]);
  // The extra fields' names and choices in the reader's language (the catalogue is cached).
  const catalogue = useLoad(() => getCatalogue().catch(() => null), []);
  const [reclassifying, setReclassifying] = useState(false);
  const sent = useRef(outbox.sent);
  useEffect(() => {
    if (outbox.sent !== sent.current) {
      sent.current = outbox.sent;
      kase.reload();
    }
  }, [outbox.sent]);
  const onDone = (outcome) => {
    if (outcome.status === 'sent' && outcome.result && outcome.result.id === id) kase.setData(outcome.result);
    else if (outcome.status === 'sent') kase.reload();
  };

  if (kase.state === 'loading' || !kase.data) {
    return (
      <section class="page page--narrow stack">
        <PageHead title={t('case.detail.title')} back={back} />
        {kase.state === 'loading' ? <Loading /> : <LoadError error={kase.error} onRetry={kase.reload} />}
      </section>
    );
  }
  const c = kase.data;
  const allowed = new Set(c.allowed_actions || []);
  const waiting = pendingFor(outbox, c.id).length > 0;
  const itemFields =
    (c.item && catalogue.data && catalogue.data.categories.flatMap((cat) => cat.items).find((i) => i.code === c.item.code))?.fields || [];
  const fieldsOf = Object.entries(c.fields || {}).map(([key, value]) => {
    const field = itemFields.find((f) => f.key === key);
    const choice = field && field.choices.find((ch) => ch.value === value);
    return [field ? field.label : key, choice ? choice.label : String(value)];
  });
  return (
    <section class="page page--narrow stack casedetail" aria-labelledby="page-title" data-testid="case-detail" data-id={c.id} data-state={c.state} data-version={c.version}>
      <PageHead title={t('case.detail.title')} back={back} />
      <article class="card">
        <div class="wishdetail__head">
          <h2 data-testid="case-detail-item">{c.item ? c.item.name : t('case.no_item')}</h2>
          <CaseState kase={c} />
        </div>
        {hint(c, staff) && <p class="wishdetail__state" data-testid="case-hint">{hint(c, staff)}</p>}
        <Due kase={c} />
        <p class="wishdetail__text" data-testid="case-description">{c.description}</p>
        {(c.photos || []).map((key) => (
          <Photo key={key} mediaKey={key} alt={t('case.photo')} testid="case-photo-shown" />
        ))}
        <dl class="facts">
          <Fact label={t('case.field.number')} testid="case-detail-number">{c.number}</Fact>
          <Fact label={t('case.field.channel')}>{t(`case.channel.${c.channel}`)}</Fact>
          <Fact label={t('case.field.reporter')}>{c.reporter}</Fact>
          <Fact label={t('case.field.phone')}>{c.reporter_phone}</Fact>
          <Fact label={t('case.field.grid')}>{c.grid}</Fact>
          {staff && (
            <Fact label={t('case.field.level')} testid="case-level">
              {t(`case.level.${c.level}`)}
            </Fact>
          )}
          {staff && c.item && (
            <Fact label={t('case.field.close_level')} testid="case-close-level">
              {t(`case.level.${c.item.close_level}`)}
            </Fact>
          )}
          <Fact label={t('case.field.created')}>{formatDate(c.created_at)}</Fact>
          <Fact label={t('case.field.assignee')} testid="case-assignee-shown">{c.assignee}</Fact>
          <Fact label={t('case.field.consent')}>{c.consent_note}</Fact>
          {fieldsOf.map(([label, value]) => (
            <Fact key={label} label={label}>{value}</Fact>
          ))}
          <Fact label={t('case.field.reject_reason')} testid="case-reject-reason">{c.reject_reason}</Fact>
          <Fact label={t('case.field.resolution')} testid="case-resolution">{c.resolution}</Fact>
          <Fact label={t('case.field.extension')}>
            {c.extension_hours && t('case.extension', { hours: c.extension_hours, reason: c.extension_reason || '' })}
          </Fact>
          <Fact label={t('case.field.satisfaction')} testid="case-satisfaction-shown">
            {c.satisfaction && t(`case.satisfaction.${c.satisfaction}`)}
          </Fact>
          <Fact label={t('case.field.merged_into')}>{c.merged_into}</Fact>
        </dl>
        {c.resolution_photo && <p class="field__label">{t('case.field.after_photo')}</p>}
        <Photo mediaKey={c.resolution_photo} alt={t('case.field.after_photo')} testid="case-after-photo" />
      </article>
      {/* One change at a time: the office's tools wait while actions of this case do. */}
      <CaseActions
        kase={c}
        user={user}
        outbox={outbox}
        onDone={onDone}
        more={
          allowed.has('reclassify') && !waiting && !reclassifying ? (
            <button type="button" class="btn btn--ghost" data-testid="case-reclassify-open" onClick={() => setReclassifying(true)}>
              {t('case.do.reclassify')}
            </button>
          ) : null
        }
      />
      {reclassifying && allowed.has('reclassify') && !waiting && (
        <Reclassify kase={c} catalogue={catalogue.data} onDone={onDone} onClose={() => setReclassifying(false)} />
      )}
      {allowed.has('merge') && !waiting && <Duplicates kase={c} onDone={onDone} />}
      <h2 class="section-title">{t('case.detail.history')}</h2>
      <History events={c.history || []} />
    </section>
  );
}
