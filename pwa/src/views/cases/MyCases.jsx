// 我反映的事: the matters I raised (or were taken in for me), newest first, with
// those still waiting on the phone on top. State in plain words, the number and
// the promised date.
import { useEffect, useRef } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { LoadError, Loading, PageHead, useLoad } from '../../ui/kit.jsx';
import { getMyCases } from './casesApi.js';
import { CaseCard } from './common.jsx';

export default function MyCases({ outbox }) {
  const list = useLoad(() => getMyCases(50, 0), []);
  const sent = useRef(outbox.sent);
  useEffect(() => {
    if (outbox.sent !== sent.current) {
      sent.current = outbox.sent;
      list.reload();
    }
  }, [outbox.sent]);
  const waiting = outbox.pending.filter((c) => c.kind === 'case.report');
  const cases = (list.data && list.data.items) || [];
  return (
    <section class="page page--narrow stack" aria-labelledby="page-title">
      <PageHead title={t('case.mine.title')} />
      <a class="btn btn--primary btn--block btn--huge" href="#/cases/new" data-testid="cases-new">
        <span aria-hidden="true">＋ </span>
        {t('case.new.title')}
      </a>
      <ul class="wishlist caselist" data-testid="case-list" data-state={list.state}>
        {waiting.map((command) => (
          <li key={command.id} class="card caseitem wishitem--waiting" data-testid="case-item-pending" data-id={command.id}>
            <span class="caseitem__title">{command.label.title}</span>
            <span class="badge badge--waiting">{t('outbox.waiting')}</span>
            <span class="muted">{t('case.mine.waiting_hint')}</span>
          </li>
        ))}
        {cases.map((kase) => (
          <CaseCard key={kase.id} kase={kase} />
        ))}
      </ul>
      {list.state === 'loading' && <Loading />}
      {list.state === 'error' && <LoadError error={list.error} onRetry={list.reload} />}
      {list.state === 'ready' && cases.length === 0 && waiting.length === 0 && (
        <p class="card muted" data-testid="case-list-empty">
          {t('case.mine.empty')}
        </p>
      )}
    </section>
  );
}
