// 心愿墙: the community's published wishes, as a list or on the map, for
// volunteers to take on. Beneficiaries are masked by the server.
import { useEffect, useRef, useState } from 'preact/hooks';
import { getBoard, getClaimOptions, getConfig, getMap } from '../../api.js';
import { t } from '../../i18n/index.js';
import { ClaimAction } from './actions.jsx';
import { CategoryTag, pendingFor, wishHref } from './common.jsx';
import { formatDate, LoadError, Loading, PageHead, useLoad } from '../../ui/kit.jsx';
import { Photo } from '../../ui/photos.jsx';
import { CommunityPicker, useCommunityChoice, useCommunityLoad } from '../../ui/community.jsx';

function BoardCard({ item, user, options, community, outbox, go }) {
  const waiting = pendingFor(outbox, item.id).length > 0;
  const onDone = (outcome) => {
    if (outcome.status === 'sent') go(wishHref(item.id)); // now mine: its full page
  };
  return (
    <li class="card boarditem" data-testid="board-item" data-id={item.id}>
      <div class="wishdetail__head">
        <h2 class="boarditem__title">{item.title}</h2>
        <CategoryTag category={item.category} />
      </div>
      {item.description && <p>{item.description}</p>}
      <Photo mediaKey={item.photo} alt={t('wish.photo_of', { title: item.title })} small isPublic />
      <p class="muted boarditem__meta">
        {item.beneficiary} · {item.grid} · {formatDate(item.created_at)}
      </p>
      {waiting ? (
        <p class="alert alert--info" role="status" data-testid="board-item-waiting">
          {t('outbox.saved_offline')}
        </p>
      ) : (
        <ClaimAction wish={{ ...item, community_code: community }} user={user} options={options} onDone={onDone} />
      )}
    </li>
  );
}

function BoardMap({ items, onSelect }) {
  const container = useRef(null);
  const map = useRef(null);
  const [state, setState] = useState('loading');
  useEffect(() => {
    let live = true;
    Promise.all([import('../../map/leafletMap.js'), getConfig().catch(() => null), getMap()]).then(
      ([leafletMap, config, geojson]) => {
        if (!live || !container.current) return;
        map.current = leafletMap.createMap(container.current, { config, geojson, onMarker: onSelect });
        map.current.setMarkers(items);
        setState('ready');
      },
      () => live && setState('error'),
    );
    return () => {
      live = false;
      if (map.current) map.current.destroy();
      map.current = null;
    };
  }, []);
  useEffect(() => {
    if (map.current) map.current.setMarkers(items);
  }, [items]);
  return (
    <div class="boardmap">
      <div class="map" ref={container} data-testid="board-map" data-state={state} />
      {state === 'loading' && (
        <div class="map-overlay" role="status">
          <span class="spinner spinner--dark" aria-hidden="true" />
          {t('map.loading')}
        </div>
      )}
      {state === 'error' && <div class="map-overlay map-overlay--error">{t('wish.board.map_failed')}</div>}
    </div>
  );
}

export default function Board({ user, outbox, go }) {
  const choice = useCommunityChoice(user);
  const { communities, chosen } = choice;
  const [view, setView] = useState('list');
  const [selected, setSelected] = useState(null);
  const board = useCommunityLoad(choice, getBoard, [], []);
  // In whose name I may claim here (personal, my service groups, caring businesses).
  const options = useLoad(() => (chosen ? getClaimOptions(chosen) : Promise.resolve(null)), [chosen]);
  const items = board.data || [];
  const shown = view === 'map' && selected ? items.filter((item) => selected.includes(item.id)) : items;

  return (
    <section class="page stack board" aria-labelledby="page-title" data-testid="board" data-state={board.state}>
      <PageHead title={t('wish.board.title')}>
        <button type="button" class="btn btn--ghost btn--small" data-testid="board-refresh" onClick={board.reload}>
          {t('wish.board.refresh')}
        </button>
      </PageHead>
      <CommunityPicker choice={choice} testid="board-community" />
      <div class="segmented" role="group" aria-label={t('wish.board.view')}>
        {['list', 'map'].map((v) => (
          <button
            key={v}
            type="button"
            class={`segmented__btn${view === v ? ' segmented__btn--on' : ''}`}
            aria-pressed={view === v ? 'true' : 'false'}
            data-testid={`board-view-${v}`}
            onClick={() => {
              setView(v);
              setSelected(null);
            }}
          >
            {t(`wish.board.view_${v}`)}
          </button>
        ))}
      </div>
      {board.state === 'error' && <LoadError error={board.error} onRetry={board.reload} />}
      {view === 'map' && board.state === 'ready' && <BoardMap items={items} onSelect={setSelected} />}
      {view === 'map' && !selected && items.length > 0 && <p class="muted">{t('wish.board.map_hint')}</p>}
      {(board.state === 'loading' || communities.state === 'loading') && <Loading />}
      {board.state === 'ready' && items.length === 0 && (
        <p class="card muted" data-testid="board-empty">
          {t('wish.board.empty')}
        </p>
      )}
      {(view === 'list' || selected) && (
        <ul class="wishlist">
          {shown.map((item) => (
            <BoardCard key={item.id} item={item} user={user} options={options.data} community={chosen} outbox={outbox} go={go} />
          ))}
        </ul>
      )}
    </section>
  );
}
