// 党员: party members of my communities — in-service members 在职党员 who reported
// to a residential community (进社区报到), retired members, activists — with the
// party branch they belong to; register a volunteer as one, or change how they are recorded.
import { useState } from 'preact/hooks';
import { getVolunteers } from '../../api.js';
import { t } from '../../i18n/index.js';
import { userCommunities } from '../../roles.js';

import { getPartyMembers, savePartyMember } from './peopleApi.js';
import { VolunteerSelect } from './shared.jsx';
import { ErrorNote, formatDate, LoadError, Loading, useLoad } from '../../ui/kit.jsx';

const KINDS = ['in_service', 'retired', 'activist'];

function PartyForm({ member, volunteers, communities, onSaved, onClose }) {
  const [userId, setUserId] = useState(member ? String(member.user_id) : '');
  const [kind, setKind] = useState(member ? member.kind : 'in_service');
  const [picked, setCommunity] = useState((member && member.reported_community_code) || '');
  const community = picked || (communities[0] && communities[0].code) || '';
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const send = async (event) => {
    event.preventDefault();
    if (!userId) return setError({ detail: t('people.party.choose_required') });
    setBusy(true);
    setError(null);
    try {
      const body = { kind };
      if (community) body.reported_community_code = community;
      await savePartyMember(Number(userId), body);
      onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card form" onSubmit={send} noValidate data-testid="party-form">
      <h2>{member ? t('people.party.edit_title', { name: member.name }) : t('people.party.register')}</h2>
      {!member && (
        <VolunteerSelect volunteers={volunteers} value={userId} onChange={setUserId} testid="party-person" label={t('people.party.person')} />
      )}
      <label class="field">
        <span class="field__label">{t('people.party.kind')}</span>
        <select class="select--boxed" data-testid="party-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {t(`people.party.kind_${k}`)}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span class="field__label">{t('people.party.community')}</span>
        <select class="select--boxed" data-testid="party-community" value={community} onChange={(e) => setCommunity(e.currentTarget.value)}>
          {communities.map((c) => (
            <option key={c.code} value={c.code}>
              {c.name}
            </option>
          ))}
        </select>
      </label>
      <p class="muted">{t('people.party.community_hint')}</p>
      <ErrorNote error={error} testid="party-error" />
      <button type="submit" class="btn btn--primary btn--block btn--big" data-testid="party-submit" disabled={busy}>
        {busy && <span class="spinner" aria-hidden="true" />}
        {t('people.save')}
      </button>
      <button type="button" class="btn btn--ghost btn--block" data-testid="party-cancel" onClick={onClose}>
        {t('people.cancel')}
      </button>
    </form>
  );
}

export function PartyMembers({ user }) {
  const [kind, setKind] = useState('');
  const [editing, setEditing] = useState(null); // null | 'new' | a member
  const list = useLoad(() => getPartyMembers({ kind }), [kind]);
  const volunteers = useLoad(() => getVolunteers(), []);
  const communities = useLoad(() => userCommunities(user), []);
  const members = list.data || [];
  const saved = () => {
    setEditing(null);
    list.reload();
  };
  return (
    <>
      {editing ? (
        <PartyForm
          member={editing === 'new' ? null : editing}
          volunteers={(volunteers.data || []).filter((v) => v.manageable)}
          communities={communities.data || []}
          onSaved={saved}
          onClose={() => setEditing(null)}
        />
      ) : (
        <button type="button" class="btn btn--primary btn--block btn--big" data-testid="party-register" onClick={() => setEditing('new')}>
          <span aria-hidden="true">＋ </span>
          {t('people.party.register')}
        </button>
      )}
      <label class="field">
        <span class="field__label">{t('people.party.kind')}</span>
        <select class="select--boxed" data-testid="party-filter-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
          <option value="">{t('people.all')}</option>
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {t(`people.party.kind_${k}`)}
            </option>
          ))}
        </select>
      </label>
      {list.state === 'loading' && <Loading />}
      {list.state === 'error' && <LoadError error={list.error} onRetry={list.reload} />}
      {list.state === 'ready' && members.length === 0 && (
        <p class="card muted" data-testid="party-empty">
          {t('people.party.empty')}
        </p>
      )}
      <ul class="wishlist" data-testid="party-list" data-state={list.state} data-kind={kind}>
        {members.map((m) => (
          <li key={m.user_id} class="card person" data-testid="party-item" data-user-id={m.user_id} data-kind={m.kind}>
            <div class="person__head">
              <strong class="person__name" data-testid="party-name">
                {m.name}
              </strong>
              <span class="chip chip--party" data-testid="party-kind-chip">
                {t(`people.party.kind_${m.kind}`)}
              </span>
            </div>
            <p class="muted person__meta">
              {m.phone_masked}
              {m.party_org ? ` · ${m.party_org}` : ''}
            </p>
            {m.reported_community && (
              <p data-testid="party-reported">
                {t('people.party.reported', { community: m.reported_community, date: m.reported_at ? formatDate(m.reported_at) : '' })}
              </p>
            )}
            <button type="button" class="btn btn--ghost btn--small" data-testid="party-edit" onClick={() => setEditing(m)}>
              {t('people.party.edit')}
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}
