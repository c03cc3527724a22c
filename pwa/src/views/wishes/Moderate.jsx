// 心愿审核: wishes waiting for a moderator of my scope. Approve publishes it
// on the board; reject needs a reason (the resident reads it); edit takes
// personal details out, and the original words stay visible to staff.
import { getQueue } from '../../api.js';
import { t } from '../../i18n/index.js';
import { ModerationActions } from './actions.jsx';
import { CategoryTag, wishHref } from './common.jsx';
import { formatDate, LoadError, Loading, PageHead, useLoad } from '../../ui/kit.jsx';
import { Photo } from '../../ui/photos.jsx';

function QueueItem({ wish, onDone }) {
  return (
    <li class="card queueitem" data-testid="queue-item" data-id={wish.id}>
      <div class="wishdetail__head">
        <h2 data-testid="queue-item-title">{wish.title}</h2>
        <CategoryTag category={wish.category} />
      </div>
      {wish.description && <p data-testid="queue-item-description">{wish.description}</p>}
      {(wish.original_title || wish.original_description) && (
        <div class="original" data-testid="wish-original">
          <p class="field__label">{t('wish.moderate.original')}</p>
          {wish.original_title && <p>{wish.original_title}</p>}
          {wish.original_description && <p>{wish.original_description}</p>}
        </div>
      )}
      <Photo mediaKey={wish.photo} alt={t('wish.photo_of', { title: wish.title })} small />
      <p class="muted">
        {[wish.beneficiary, wish.beneficiary_phone, wish.building, wish.grid].filter(Boolean).join(' · ')}
        <br />
        {formatDate(wish.created_at)}
        {wish.on_behalf && ` · ${t('wish.moderate.on_behalf')}`}
      </p>
      <a href={wishHref(wish.id)} class="queueitem__link">
        {t('wish.moderate.open')}
      </a>
      <ModerationActions key={wish.version} wish={wish} onDone={onDone} />
    </li>
  );
}

export default function Moderate() {
  const queue = useLoad(getQueue, []);
  const wishes = queue.data || [];
  const onDone = (wish) => (outcome, action) => {
    if (outcome.status !== 'sent') return;
    if (action === 'edit' && outcome.result) {
      queue.setData((list) => list.map((w) => (w.id === wish.id ? outcome.result : w)));
    } else {
      queue.setData((list) => list.filter((w) => w.id !== wish.id));
    }
  };
  return (
    <section class="page page--narrow stack" aria-labelledby="page-title" data-testid="moderation-queue" data-state={queue.state}>
      <PageHead title={t('wish.moderate.title')}>
        <button type="button" class="btn btn--ghost btn--small" data-testid="queue-refresh" onClick={queue.reload}>
          {t('wish.board.refresh')}
        </button>
      </PageHead>
      {queue.state === 'loading' && <Loading />}
      {queue.state === 'error' && <LoadError error={queue.error} onRetry={queue.reload} />}
      {queue.state === 'ready' && wishes.length === 0 && (
        <p class="card muted" data-testid="queue-empty">
          {t('wish.moderate.empty')}
        </p>
      )}
      <ul class="wishlist">
        {wishes.map((wish) => (
          <QueueItem key={wish.id} wish={wish} onDone={onDone(wish)} />
        ))}
      </ul>
    </section>
  );
}
