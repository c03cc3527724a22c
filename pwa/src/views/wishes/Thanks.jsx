// 感谢墙: wishes the residents confirmed, with their thank-you and who helped
// (a person masked, a service group or caring business by name).
import { getThanks } from '../../api.js';
import { t } from '../../i18n/index.js';
import { CategoryTag } from './common.jsx';
import { formatDate, LoadError, Loading, PageHead, useLoad } from '../../ui/kit.jsx';
import { Photo } from '../../ui/photos.jsx';
import { CommunityPicker, useCommunityChoice, useCommunityLoad } from '../../ui/community.jsx';

export default function Thanks({ user }) {
  const choice = useCommunityChoice(user);
  const { communities, chosen } = choice;
  const wall = useCommunityLoad(choice, getThanks, [], []);
  const items = wall.data || [];
  return (
    <section class="page page--narrow stack" aria-labelledby="page-title" data-testid="thanks-wall" data-state={wall.state}>
      <PageHead title={t('wish.thanks.title')} />
      <CommunityPicker choice={choice} testid="thanks-community" />
      {(wall.state === 'loading' || communities.state === 'loading') && <Loading />}
      {wall.state === 'error' && <LoadError error={wall.error} onRetry={wall.reload} />}
      {wall.state === 'ready' && items.length === 0 && <p class="card muted">{t('wish.thanks.empty')}</p>}
      <ul class="wishlist">
        {items.map((item) => (
          <li key={item.id} class="card" data-testid="thanks-item" data-id={item.id}>
            <div class="wishdetail__head">
              <h2 class="boarditem__title">{item.title}</h2>
              <CategoryTag category={item.category} />
            </div>
            <blockquote class="thanks__words" data-testid="thanks-words">
              {item.thanks}
            </blockquote>
            <Photo mediaKey={item.photo} alt={t('wish.photo_of', { title: item.title })} small isPublic />
            <p class="muted" data-testid="thanks-helper">
              {t(`wish.thanks.by_${item.helper_kind}`, { name: item.helper })} · {item.grid} · {formatDate(item.confirmed_at)}
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}
