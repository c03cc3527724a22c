// 服务组: the service groups 为民服务组 of my grids; add a volunteer to one, or
// take a member off (after asking once more; the server writes it to the audit log).
import { useState } from 'preact/hooks';
import { addServiceGroupMember, getServiceGroups, getVolunteers } from '../../api.js';
import { t } from '../../i18n/index.js';

import { removeServiceGroupMember } from './peopleApi.js';
import { TRADES, tradeName, VolunteerSelect } from './shared.jsx';
import { ConfirmButton, ErrorNote, LoadError, Loading, useLoad } from '../../ui/kit.jsx';

/** The members of a team, each with a remove button that asks first. */
export function MemberList({ people, onRemove, testid }) {
  if (!people || people.length === 0) return null;
  return (
    <ul class="wishlist" data-testid={`${testid}-members-list`}>
      {people.map((p) => (
        <li key={p.user_id} class="person__row" data-testid={`${testid}-member`} data-user-id={p.user_id} data-name={p.name}>
          <span>
            <strong>{p.name}</strong> <span class="muted">{[p.trade && tradeName(p.trade), p.phone_masked].filter(Boolean).join(' · ')}</span>
          </span>
          <ConfirmButton
            label={t('people.members.remove')}
            question={t('people.members.remove_confirm', { name: p.name })}
            confirmLabel={t('people.members.remove_yes')}
            testid={`${testid}-member-remove`}
            onConfirm={() => onRemove(p)}
          />
        </li>
      ))}
    </ul>
  );
}

function AddMember({ group, volunteers, onAdded }) {
  const [userId, setUserId] = useState('');
  const [trade, setTrade] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const chosen = volunteers.find((v) => String(v.user_id) === userId);
  const add = async (event) => {
    event.preventDefault();
    if (!chosen) return setError({ detail: t('people.groups.choose_required') });
    setBusy(true);
    setError(null);
    try {
      const body = { user_id: chosen.user_id };
      if (trade) body.trade = trade;
      await addServiceGroupMember(group.id, body);
      onAdded();
      setUserId('');
      setTrade('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="form groupadd" onSubmit={add} noValidate>
      <VolunteerSelect volunteers={volunteers} value={userId} onChange={setUserId} testid="group-member-select" label={t('people.groups.add_member')} />
      <label class="field">
        <span class="field__label">{t('people.groups.trade')}</span>
        <select class="select--boxed" data-testid="group-member-trade" value={trade} onChange={(e) => setTrade(e.currentTarget.value)}>
          <option value="">{t('people.groups.no_trade')}</option>
          {TRADES.map((x) => (
            <option key={x} value={x}>
              {tradeName(x)}
            </option>
          ))}
        </select>
      </label>
      <ErrorNote error={error} testid="group-member-error" />
      <button type="submit" class="btn btn--primary btn--block" data-testid="group-member-add" disabled={busy}>
        {t('people.groups.add')}
      </button>
    </form>
  );
}

export function Groups() {
  const groups = useLoad(getServiceGroups, []);
  const volunteers = useLoad(() => getVolunteers(), []);
  const [open, setOpen] = useState(null);
  const list = groups.data || [];
  return (
    <>
      {groups.state === 'loading' && <Loading />}
      {groups.state === 'error' && <LoadError error={groups.error} onRetry={groups.reload} />}
      {groups.state === 'ready' && list.length === 0 && (
        <p class="card muted" data-testid="group-empty">
          {t('people.groups.empty')}
        </p>
      )}
      {groups.state === 'ready' && (
        <p class="muted" data-testid="group-count" data-count={list.length}>
          {t('people.groups.count', { n: list.length })}
        </p>
      )}
      <ul class="wishlist" data-testid="group-list" data-state={groups.state}>
        {list.map((g) => (
          <li key={g.id} class="card person" data-testid="group-item" data-id={g.id}>
            <strong class="person__name">{g.name}</strong>
            <p class="muted person__meta">
              {g.leader ? t('people.groups.leader', { name: g.leader }) : t('people.groups.no_leader')}
            </p>
            <p data-testid="group-members">
              {g.members.length ? t('people.groups.members', { names: g.members.join('、') }) : t('people.groups.no_members')}
            </p>
            <MemberList
              people={g.people}
              testid="group"
              onRemove={async (p) => {
                const fresh = await removeServiceGroupMember(g.id, p.user_id);
                groups.setData((all) => all.map((x) => (x.id === fresh.id ? fresh : x)));
              }}
            />
            {open === g.id ? (
              <>
                {volunteers.state === 'error' && <LoadError error={volunteers.error} onRetry={volunteers.reload} />}
                <AddMember group={g} volunteers={volunteers.data || []} onAdded={groups.reload} />
                <button type="button" class="btn btn--ghost btn--block" data-testid="group-add-close" onClick={() => setOpen(null)}>
                  {t('people.cancel')}
                </button>
              </>
            ) : (
              <button type="button" class="btn btn--ghost btn--small" data-testid="group-add-open" onClick={() => setOpen(g.id)}>
                {t('people.groups.add_member')}
              </button>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}
