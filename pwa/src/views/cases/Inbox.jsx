// 我的待办: the grid worker's open cases (of their grids, or dispatched to them),
// nearest deadline first, overdue marked. Kept on the phone (the service worker
// saves the last answer), and every action goes through the outbox: with no
// signal it waits, shown as waiting; a case changed meanwhile comes back as a
// conflict with the server's reason, never dropped in silence.
import { useEffect, useRef } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { can } from '../../roles.js';
import { targetOf } from '../../workflow.js';
import { LoadError, Loading, PageHead, useLoad } from '../../ui/kit.jsx';
import { getCaseInbox } from './casesApi.js';
import { CaseActions, CaseCard, failedFor } from './common.jsx';

export default function Inbox({ user, outbox }) {
  const list = useLoad(() => getCaseInbox(100, 0), []);
  // Read the rule tables now, while there may be signal: offline they tell where a queued action leads.
  useEffect(() => {
    targetOf('case', 'dispatched', 'start').catch(() => {});
  }, []);
  const sent = useRef(outbox.sent);
  useEffect(() => {
    if (outbox.sent !== sent.current) {
      sent.current = outbox.sent;
      list.reload();
    }
  }, [outbox.sent]);
  const onDone = (outcome) => {
    if (outcome.status === 'sent') list.reload();
  };
  const cases = (list.data && list.data.items) || [];
  const shown = new Set(cases.map((c) => c.id));
  // Refused actions of cases no longer in the inbox (dispatched to someone else meanwhile).
  const orphans = [...new Set(outbox.failed.filter((c) => c.label && c.label.case_id && !shown.has(c.label.case_id)).map((c) => c.label.case_id))];
  const overdue = cases.filter((c) => c.overdue).length;
  return (
    <section class="page page--narrow stack" aria-labelledby="page-title" data-testid="case-inbox" data-state={list.state}>
      <PageHead title={t('case.inbox.title')}>
        <button type="button" class="btn btn--ghost btn--small" data-testid="inbox-refresh" onClick={list.reload}>
          {t('wish.board.refresh')}
        </button>
      </PageHead>
      {can(user, 'case.take_in') && (
        <a class="btn btn--ghost btn--block" href="#/cases/new" data-testid="inbox-new">
          <span aria-hidden="true">＋ </span>
          {t('case.inbox.new')}
        </a>
      )}
      {list.state === 'ready' && cases.length > 0 && (
        <p class="muted" data-testid="inbox-summary">
          {t('case.inbox.summary', { n: list.data.total, overdue })}
        </p>
      )}
      {orphans.map((caseId) => (
        <CaseActions
          key={caseId}
          kase={{ id: caseId, state: '', version: 0, allowed_actions: [] }}
          user={user}
          outbox={{ pending: [], failed: failedFor(outbox, caseId) }}
          onDone={onDone}
        />
      ))}
      <ul class="wishlist caselist" data-testid="case-list">
        {cases.map((kase) => (
          <CaseCard key={kase.id} kase={kase} outbox={outbox} showReporter>
            <CaseActions kase={kase} user={user} outbox={outbox} onDone={onDone} compact />
          </CaseCard>
        ))}
      </ul>
      {list.state === 'loading' && <Loading />}
      {list.state === 'error' && <LoadError error={list.error} onRetry={list.reload} />}
      {list.state === 'ready' && cases.length === 0 && (
        <p class="card muted" data-testid="inbox-empty">
          {t('case.inbox.empty')}
        </p>
      )}
    </section>
  );
}
