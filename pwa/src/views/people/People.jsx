// 居民与队伍: staff look after residents (care tags, registering, revealing a
// phone number — audited), volunteers (trades, a temporary password), service
// groups, party members, volunteer organisations, spreadsheet imports and the
// community's volunteer hours.
import { useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';

import { CommunityHours } from './CommunityHours.jsx';
import { Groups } from './Groups.jsx';
import { Import } from './Import.jsx';
import { Orgs } from './Orgs.jsx';
import { PartyMembers } from './PartyMembers.jsx';
import { Residents } from './Residents.jsx';
import { loadVocabulary } from './shared.jsx';
import { Volunteers } from './Volunteers.jsx';
import { PageHead } from '../../ui/kit.jsx';

const TABS = [
  ['residents', Residents],
  ['volunteers', Volunteers],
  ['groups', Groups],
  ['party', PartyMembers],
  ['orgs', Orgs],
  ['import', Import],
  ['hours', CommunityHours],
];

export default function People({ user }) {
  const [tab, setTab] = useState('residents');
  const [, setWords] = useState(false);
  useEffect(() => {
    loadVocabulary().then(setWords); // re-render the panel with the city's own terms
  }, []);
  const Panel = TABS.find(([name]) => name === tab)[1];
  return (
    <section class="page page--narrow stack people" aria-labelledby="page-title" data-testid="people" data-tab={tab}>
      <PageHead title={t('people.title')} />
      <div class="tabs" role="tablist" aria-label={t('people.title')}>
        {TABS.map(([name]) => (
          <button
            key={name}
            type="button"
            role="tab"
            class={`tabs__btn${tab === name ? ' tabs__btn--on' : ''}`}
            aria-selected={tab === name ? 'true' : 'false'}
            data-testid={`people-tab-${name}`}
            onClick={() => setTab(name)}
          >
            {t(`people.tab.${name}`)}
          </button>
        ))}
      </div>
      <div role="tabpanel" class="stack" data-testid={`people-panel-${tab}`}>
        <Panel user={user} />
      </div>
    </section>
  );
}
