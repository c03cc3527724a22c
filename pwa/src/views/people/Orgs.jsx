// 志愿服务组织: volunteer teams of my communities, each with a leader; found one,
// add a volunteer to it, take a member off (asked once more; audited by the server).
import { useState } from 'preact/hooks';
import { getVolunteers } from '../../api.js';
import { t } from '../../i18n/index.js';

import { MemberList } from './Groups.jsx';
import { addOrgMember, createOrg, getOrgs, removeOrgMember } from './peopleApi.js';
import { VolunteerSelect } from './shared.jsx';
import { ErrorNote, LoadError, Loading, useLoad } from '../../ui/kit.jsx';
import { CommunityPicker, useCommunityChoice } from '../../ui/community.jsx';

function FoundForm({ volunteers, user, onCreated, onClose }) {
  const [name, setName] = useState('');
  const choice = useCommunityChoice(user);
  const community = choice.chosen;
  const [leader, setLeader] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const send = async (event) => {
    event.preventDefault();
    if (name.trim().length < 2) return setError({ detail: t('people.orgs.name_required') });
    if (!leader) return setError({ detail: t('people.orgs.leader_required') });
    setBusy(true);
    setError(null);
    try {
      onCreated(await createOrg({ name: name.trim(), community_code: community, leader_user_id: Number(leader) }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card form" onSubmit={send} noValidate data-testid="org-form">
      <h2>{t('people.orgs.found')}</h2>
      <label class="field">
        <span class="field__label">{t('people.orgs.name')}</span>
        <input type="text" maxLength={100} data-testid="org-name" value={name} placeholder={t('people.orgs.name_example')} onInput={(e) => {
            setName(e.currentTarget.value);
            setError(null);
          }} />
      </label>
      <CommunityPicker choice={choice} testid="org-community" />
      {choice.communities.state === 'error' && <LoadError error={choice.communities.error} onRetry={choice.communities.reload} />}
      <VolunteerSelect volunteers={volunteers} value={leader} onChange={(v) => {
        setLeader(v);
        setError(null);
      }} testid="org-leader" label={t('people.orgs.leader')} />
      <ErrorNote error={error} testid="org-error" />
      <button type="submit" class="btn btn--primary btn--block btn--big" data-testid="org-submit" disabled={busy}>
        {busy && <span class="spinner" aria-hidden="true" />}
        {t('people.orgs.found')}
      </button>
      <button type="button" class="btn btn--ghost btn--block" data-testid="org-cancel" onClick={onClose}>
        {t('people.cancel')}
      </button>
    </form>
  );
}

function AddOrgMember({ org, volunteers, onChanged }) {
  const [userId, setUserId] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const add = async () => {
    if (!userId) return setError({ detail: t('people.groups.choose_required') });
    setBusy(true);
    setError(null);
    try {
      onChanged(await addOrgMember(org.id, Number(userId)));
      setUserId('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const inside = (org.people || []).map((p) => p.user_id);
  return (
    <div class="form">
      <VolunteerSelect volunteers={volunteers} value={userId} onChange={setUserId} testid="org-member-select" label={t('people.groups.add_member')} exclude={inside} />
      <ErrorNote error={error} testid="org-member-error" />
      <button type="button" class="btn btn--primary btn--block" data-testid="org-member-add" disabled={busy} onClick={add}>
        {t('people.groups.add')}
      </button>
    </div>
  );
}

export function Orgs({ user }) {
  const orgs = useLoad(getOrgs, []);
  const volunteers = useLoad(() => getVolunteers(), []);
  const [founding, setFounding] = useState(false);
  const [open, setOpen] = useState(null);
  const list = orgs.data || [];
  const replace = (fresh) => orgs.setData((all) => (all.some((o) => o.id === fresh.id) ? all.map((o) => (o.id === fresh.id ? fresh : o)) : [...all, fresh]));
  return (
    <>
      {founding ? (
        <FoundForm
          volunteers={volunteers.data || []}
          user={user}
          onCreated={(org) => {
            replace(org);
            setFounding(false);
          }}
          onClose={() => setFounding(false)}
        />
      ) : (
        <button type="button" class="btn btn--primary btn--block btn--big" data-testid="org-found" onClick={() => setFounding(true)}>
          <span aria-hidden="true">＋ </span>
          {t('people.orgs.found')}
        </button>
      )}
      {orgs.state === 'loading' && <Loading />}
      {orgs.state === 'error' && <LoadError error={orgs.error} onRetry={orgs.reload} />}
      {orgs.state === 'ready' && list.length === 0 && (
        <p class="card muted" data-testid="org-empty">
          {t('people.orgs.empty')}
        </p>
      )}
      <ul class="wishlist" data-testid="org-list" data-state={orgs.state}>
        {list.map((o) => (
          <li key={o.id} class="card person" data-testid="org-item" data-id={o.id} data-name={o.name}>
            <strong class="person__name">{o.name}</strong>
            <p class="muted person__meta">
              {[o.community, o.leader ? t('people.groups.leader', { name: o.leader }) : t('people.orgs.no_leader')].filter(Boolean).join(' · ')}
            </p>
            {(o.people || []).length === 0 && <p class="muted">{t('people.groups.no_members')}</p>}
            <MemberList people={o.people} testid="org" onRemove={async (p) => replace(await removeOrgMember(o.id, p.user_id))} />
            {open === o.id ? (
              <>
                <AddOrgMember org={o} volunteers={volunteers.data || []} onChanged={replace} />
                <button type="button" class="btn btn--ghost btn--block" data-testid="org-add-close" onClick={() => setOpen(null)}>
                  {t('people.cancel')}
                </button>
              </>
            ) : (
              <button type="button" class="btn btn--ghost btn--small" data-testid="org-add-open" onClick={() => setOpen(o.id)}>
                {t('people.groups.add_member')}
              </button>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}
