// 我的心愿: the wishes I asked for (residents) or took on (volunteers), newest
// first, with those still waiting in the outbox on top.
import { useEffect, useRef } from 'preact/hooks';
import { getMyWishes } from '../../api.js';
import { t } from '../../i18n/index.js';
import { isResident, isVolunteer } from '../../roles.js';
import { CategoryTag, perspective, StateBadge, wishHref } from './common.jsx';
import { formatDate, LoadError, Loading, PageHead, useLoad } from '../../ui/kit.jsx';

/** What the reader should do next about this wish, if anything. */
function Todo({ wish, user }) {
  const who = perspective(wish, user);
  if (who === 'helper' && wish.state === 'claimed') return <span class="wishitem__todo" data-testid="wish-todo">{t('wish.mine.please_fulfil')}</span>;
  if (who === 'helper' && wish.state === 'fulfilled') return <span class="muted wishitem__todo" data-testid="wish-todo">{t('wish.mine.awaiting_confirmation')}</span>;
  if (who === 'resident' && wish.state === 'fulfilled') return <span class="wishitem__todo" data-testid="wish-todo">{t('wish.mine.please_confirm')}</span>;
  return null;
}

export default function MyWishes({ user, outbox }) {
  const list = useLoad(getMyWishes, []);
  // A queued post or action reached the server: show the list as it is now.
  const sent = useRef(outbox.sent);
  useEffect(() => {
    if (outbox.sent !== sent.current) {
      sent.current = outbox.sent;
      list.reload();
    }
  }, [outbox.sent]);

  const waiting = outbox.pending.filter((c) => c.kind === 'wish.post');
  const wishes = list.data || [];
  return (
    <section class="page page--narrow stack" aria-labelledby="page-title">
      <PageHead title={isResident(user) ? t('wish.mine.title') : t('home.my_claims')} />
      {isResident(user) && (
        <a class="btn btn--primary btn--block btn--huge" href="#/wishes/new" data-testid="wishes-new">
          <span aria-hidden="true">＋ </span>
          {t('wish.new.title')}
        </a>
      )}
      <ul class="wishlist" data-testid="wish-list" data-state={list.state}>
        {waiting.map((command) => (
          <li key={command.id} class="card wishitem wishitem--waiting" data-testid="wish-item-pending" data-id={command.id}>
            <span class="wishitem__title">{command.body.title}</span>
            <span class="badge badge--waiting">{t('outbox.waiting')}</span>
            <span class="muted wishitem__meta">{t('wish.mine.waiting_hint')}</span>
          </li>
        ))}
        {wishes.map((wish) => (
          <li key={wish.id}>
            <a
              class={`card wishitem wishitem--${wish.state}`}
              href={wishHref(wish.id)}
              data-testid="wish-item"
              data-id={wish.id}
              data-state={wish.state}
            >
              <span class="wishitem__title">{wish.title}</span>
              <StateBadge state={wish.state} />
              <span class="wishitem__meta">
                <CategoryTag category={wish.category} />
                <span class="muted"> · {formatDate(wish.created_at)}</span>
              </span>
              <Todo wish={wish} user={user} />
            </a>
          </li>
        ))}
      </ul>
      {list.state === 'loading' && <Loading />}
      {list.state === 'error' && <LoadError error={list.error} onRetry={list.reload} />}
      {list.state === 'ready' && wishes.length === 0 && waiting.length === 0 && (
        <p class="card muted" data-testid="wish-list-empty">
          {isResident(user) ? t('wish.mine.empty_resident') : isVolunteer(user) ? t('wish.mine.empty_helper') : t('wish.mine.empty')}
        </p>
      )}
    </section>
  );
}
