// 关爱名册: a community's rules for staggered-hour visits (how often each care tag is
// visited, the noon and evening windows, visits per window, the office's duty days;
// administrators change them) and its pairs 结对帮扶 (a party member paired with a
// resident, visiting every so many days; the office makes and ends them).
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.js';
import { getLocale, t } from '../../i18n/index.js';
import { can } from '../../roles.js';
import { CommunityPicker, useCommunityChoice, useCommunityLoad } from '../../ui/community.jsx';
import { ConfirmButton, ErrorNote, LoadError, Loading, PageHead, useLoad } from '../../ui/kit.jsx';
import { getPartyMembers } from '../people/peopleApi.js';
import { ResidentLookup } from '../people/ResidentLookup.jsx';
import { CARE_TAGS, loadVocabulary, tagName } from '../people/shared.jsx';
import './plan.css';

const WINDOWS = ['noon', 'evening'];
const community = (code) => `/api/v1/communities/${encodeURIComponent(code)}`;
const DATE_LOCALES = { zh_Hans: 'zh-Hans-CN', zh_Hant: 'zh-Hant-TW', en: 'en-GB' };
/** Monday 0 … Sunday 6 in the reader's language (1 January 2024 was a Monday). */
const weekdayName = (i) =>
  new Intl.DateTimeFormat(DATE_LOCALES[getLocale()], { weekday: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(2024, 0, 1 + i)));

function SettingsForm({ code, initial, editable, onSaved }) {
  const tags = [...new Set([...CARE_TAGS, ...Object.keys(initial.frequencies).filter((k) => k !== '*')])];
  const fromInitial = () => ({
    frequencies: Object.fromEntries([...tags, '*'].map((tag) => [tag, initial.frequencies[tag] != null ? String(initial.frequencies[tag]) : ''])),
    windows: Object.fromEntries(WINDOWS.map((w) => [w, [...(initial.windows[w] || ['', ''])]])),
    capacity: String(initial.capacity_per_window),
    officeDays: [...initial.office_days],
  });
  const [form, setForm] = useState(fromInitial);
  const [status, setStatus] = useState('ready'); // ready | saving | saved | error
  const [error, setError] = useState(null);
  useEffect(() => setForm(fromInitial()), [initial]);

  const setFrequency = (tag, value) => setForm((f) => ({ ...f, frequencies: { ...f.frequencies, [tag]: value } }));
  const setWindow = (w, i, value) =>
    setForm((f) => ({ ...f, windows: { ...f.windows, [w]: f.windows[w].map((v, j) => (j === i ? value : v)) } }));
  const toggleDay = (d) =>
    setForm((f) => ({ ...f, officeDays: f.officeDays.includes(d) ? f.officeDays.filter((x) => x !== d) : [...f.officeDays, d].sort() }));

  const save = async (event) => {
    event.preventDefault();
    setStatus('saving');
    setError(null);
    try {
      const body = {
        // A tag left empty is visited as any other tag (*).
        frequencies: Object.fromEntries(
          Object.entries(form.frequencies)
            .filter(([, v]) => String(v).trim() !== '')
            .map(([k, v]) => [k, Number(v)]),
        ),
        windows: form.windows,
        capacity_per_window: Number(form.capacity),
        office_days: form.officeDays,
      };
      onSaved(await api('PUT', `${community(code)}/care-settings`, { body }));
      setStatus('saved');
    } catch (err) {
      setError(err);
      setStatus('error');
    }
  };

  return (
    <form class="card form roster-settings" onSubmit={save} noValidate data-testid="roster-settings" data-state={status} aria-labelledby="roster-settings-title">
      <h2 id="roster-settings-title">{t('visit.roster.settings')}</h2>
      {!editable && (
        <p class="alert alert--info" data-testid="roster-readonly">
          {t('visit.roster.readonly')}
        </p>
      )}
      <fieldset class="field roster-fieldset" disabled={!editable}>
        <legend class="field__label">{t('visit.roster.frequencies')}</legend>
        <p class="muted">{t('visit.roster.frequencies_hint')}</p>
        <div class="roster-grid">
          {[...tags, '*'].map((tag) => (
            <label class="roster-row" key={tag}>
              <span>{tag === '*' ? t('visit.roster.other_tags') : tagName(tag)}</span>
              <span class="roster-row__input">
                <input
                  type="number"
                  inputMode="numeric"
                  min="1"
                  max="366"
                  required={tag === '*'}
                  data-testid="roster-frequency"
                  data-tag={tag}
                  value={form.frequencies[tag] ?? ''}
                  onInput={(e) => setFrequency(tag, e.currentTarget.value)}
                />
                {t('visit.roster.days')}
              </span>
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset class="field roster-fieldset" disabled={!editable}>
        <legend class="field__label">{t('visit.roster.windows')}</legend>
        {WINDOWS.map((w) => (
          <div class="roster-row" key={w}>
            <span>{t(`visit.window.${w}`)}</span>
            <span class="roster-row__input roster-row__input--times">
              <input type="time" aria-label={t('visit.roster.window_start', { window: t(`visit.window.${w}`) })} data-testid={`roster-window-${w}-start`} value={form.windows[w][0]} onInput={(e) => setWindow(w, 0, e.currentTarget.value)} />
              –
              <input type="time" aria-label={t('visit.roster.window_end', { window: t(`visit.window.${w}`) })} data-testid={`roster-window-${w}-end`} value={form.windows[w][1]} onInput={(e) => setWindow(w, 1, e.currentTarget.value)} />
            </span>
          </div>
        ))}
      </fieldset>
      <fieldset class="field roster-fieldset" disabled={!editable}>
        <label class="roster-row">
          <span class="field__label">{t('visit.roster.capacity')}</span>
          <span class="roster-row__input">
            <input type="number" inputMode="numeric" min="1" max="30" data-testid="roster-capacity" value={form.capacity} onInput={(e) => setForm((f) => ({ ...f, capacity: e.currentTarget.value }))} />
            {t('visit.roster.households')}
          </span>
        </label>
      </fieldset>
      <fieldset class="field roster-fieldset" disabled={!editable}>
        <legend class="field__label">{t('visit.roster.office_days')}</legend>
        <p class="muted">{t('visit.roster.office_days_hint')}</p>
        <div class="roster-days">
          {Array.from({ length: 7 }, (_, d) => (
            <label class="check" key={d}>
              <input type="checkbox" data-testid="roster-office-day" data-day={d} checked={form.officeDays.includes(d)} onChange={() => toggleDay(d)} />
              {weekdayName(d)}
            </label>
          ))}
        </div>
      </fieldset>
      {editable && (
        <button type="submit" class="btn btn--primary btn--block" data-testid="roster-save" disabled={status === 'saving'}>
          {t('visit.roster.save')}
        </button>
      )}
      {status === 'saved' && (
        <p class="alert alert--ok" role="status" data-testid="roster-saved">
          {t('visit.roster.saved')}
        </p>
      )}
      <ErrorNote error={error} testid="roster-error" />
    </form>
  );
}

function NewPair({ members, onMade }) {
  const [member, setMember] = useState('');
  const [resident, setResident] = useState(null);
  const [every, setEvery] = useState('14');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [missing, setMissing] = useState(false);
  const send = async (event) => {
    event.preventDefault();
    if (!member || !resident) return setMissing(true);
    setMissing(false);
    setBusy(true);
    setError(null);
    try {
      const pair = await api('POST', '/api/v1/care-pairs', {
        body: { member_user_id: Number(member), resident_id: resident.id, every_days: Number(every) },
      });
      setMember('');
      setResident(null);
      setEvery('14');
      onMade(pair);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="form roster-pair-new" onSubmit={send} noValidate data-testid="pair-new" aria-labelledby="pair-new-title">
      <h3 id="pair-new-title">{t('visit.pairs.new')}</h3>
      <label class="field">
        <span class="field__label">{t('visit.pairs.member')}</span>
        <select class="select--boxed" data-testid="pair-member" value={member} onChange={(e) => setMember(e.currentTarget.value)}>
          <option value="">{t('visit.pairs.choose_member')}</option>
          {members.map((m) => (
            <option key={m.user_id} value={String(m.user_id)}>
              {m.name} {m.phone_masked}
            </option>
          ))}
        </select>
      </label>
      {members.length === 0 && <p class="muted">{t('visit.pairs.no_members')}</p>}
      <ResidentLookup value={resident} onChange={setResident} label={t('visit.pairs.resident')} />
      <label class="roster-row">
        <span class="field__label">{t('visit.pairs.every')}</span>
        <span class="roster-row__input">
          <input type="number" inputMode="numeric" min="1" max="366" data-testid="pair-every" value={every} onInput={(e) => setEvery(e.currentTarget.value)} />
          {t('visit.roster.days')}
        </span>
      </label>
      {missing && (
        <p class="alert alert--error" role="alert" data-testid="pair-missing">
          {t('visit.pairs.missing')}
        </p>
      )}
      <ErrorNote error={error} testid="pair-error" />
      <button type="submit" class="btn btn--primary btn--block" data-testid="pair-save" disabled={busy}>
        {t('visit.pairs.save')}
      </button>
    </form>
  );
}

function Pairs({ code }) {
  const pairs = useLoad(() => api('GET', `${community(code)}/care-pairs`), [code]);
  const members = useLoad(() => getPartyMembers({ community: code }), [code]);
  const [said, setSaid] = useState('');
  const end = async (pair) => {
    await api('POST', `/api/v1/care-pairs/${pair.id}/end`);
    pairs.setData((list) => list.filter((p) => p.id !== pair.id));
    setSaid(t('visit.pairs.ended', { member: pair.member, resident: pair.resident }));
  };
  return (
    <section class="card roster-pairs" data-testid="pairs" aria-labelledby="pairs-title">
      <h2 id="pairs-title">{t('visit.pairs.title')}</h2>
      <p class="muted">{t('visit.pairs.hint')}</p>
      {said && (
        <p class="alert alert--ok" role="status" data-testid="pairs-said">
          {said}
        </p>
      )}
      {pairs.state === 'loading' && <Loading />}
      {pairs.state === 'error' && <LoadError error={pairs.error} onRetry={pairs.reload} />}
      {pairs.state === 'ready' && pairs.data && pairs.data.length === 0 && (
        <p class="muted" data-testid="pairs-empty">
          {t('visit.pairs.empty')}
        </p>
      )}
      {pairs.state === 'ready' && pairs.data && pairs.data.length > 0 && (
        <ul class="roster-pair-list" data-testid="pairs-list">
          {pairs.data.map((p) => (
            <li key={p.id} data-testid="pair" data-id={p.id}>
              <span>
                <strong>{p.member}</strong> → <strong>{p.resident}</strong>
                <span class="muted"> {t('visit.pairs.every_n', { n: p.every_days })}</span>
              </span>
              <ConfirmButton
                label={t('visit.pairs.end')}
                question={t('visit.pairs.end_question', { member: p.member, resident: p.resident })}
                confirmLabel={t('visit.pairs.end')}
                onConfirm={() => end(p)}
                testid="pair-end"
              />
            </li>
          ))}
        </ul>
      )}
      {members.state === 'error' && <LoadError error={members.error} onRetry={members.reload} />}
      {members.state === 'ready' && (
        <NewPair
          members={members.data || []}
          onMade={(pair) => {
            pairs.setData((list) => [...(list || []).filter((p) => p.id !== pair.id), pair]);
            setSaid(t('visit.pairs.made', { member: pair.member, resident: pair.resident, n: pair.every_days }));
          }}
        />
      )}
    </section>
  );
}

export default function Roster({ user }) {
  const choice = useCommunityChoice(user);
  const { communities, chosen } = choice;
  // A city's own care tags join the list when they arrive (a re-render, not a reload:
  // reloading the settings would throw away what the clerk is typing).
  useLoad(loadVocabulary, []);
  const settings = useCommunityLoad(choice, (code) => api('GET', `${community(code)}/care-settings`));
  return (
    <section class="page roster" aria-labelledby="page-title" data-testid="care-roster">
      <PageHead title={t('visit.roster.title')} />
      <CommunityPicker choice={choice} testid="roster-community" />
      {(settings.state === 'loading' || communities.state === 'loading') && <Loading />}
      {settings.state === 'error' && <LoadError error={settings.error} onRetry={settings.reload} />}
      {settings.state === 'ready' && settings.data && (
        <div class="roster-columns">
          <SettingsForm code={chosen} initial={settings.data} editable={can(user, 'visit.settings')} onSaved={settings.setData} />
          <Pairs key={chosen} code={chosen} />
        </div>
      )}
    </section>
  );
}
