// 办事窗口: the community service centre's window terminal, a desktop screen for
// the clerk at a window. Keyboard first: F2 looks a walk-in up, F4 calls the next
// number, F8 marks the called number missed (过号), F9 gives a walk-in a number,
// Esc goes back a step; every step puts the cursor where the next key goes, so
// the common path (number called → resident found → matter taken in → receipt
// printed → next number) needs no mouse. The cursor is placed as a step is drawn
// (layout effects), so a fast typist loses no key between two steps.
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { CommunityPicker, useCommunityChoice, useCommunityLoad } from '../../ui/community.jsx';
import { ErrorNote, LoadError, Loading, PageHead, useLoad } from '../../ui/kit.jsx';
import { getCatalogue } from '../cases/casesApi.js';
import { Intake, Receipt } from './Intake.jsx';
import { Card, Lookup } from './Walkin.jsx';
import { callNext, finishTicket, getQueue, getWindows, takeNumber } from './windowApi.js';
import './window.css';

const POLL_MS = 15000;

/** The window this terminal stands at, remembered on this computer per community. */
function useStoredWindow(code, windows) {
  const key = `linli.window.${code}`;
  const [picked, setPicked] = useState(null);
  let stored = null;
  try {
    stored = Number(localStorage.getItem(key)) || null;
  } catch {
    /* storage disabled */
  }
  const open = (windows || []).filter((w) => w.active);
  const id = [picked, stored].find((x) => x && open.some((w) => w.id === x)) || (open[0] && open[0].id) || null;
  const choose = (next) => {
    setPicked(next);
    try {
      localStorage.setItem(key, String(next));
    } catch {
      /* storage disabled: the choice lasts for this page */
    }
  };
  return [id, choose];
}

const minutes = (value) => (value == null ? '—' : t('window.minutes', { n: value }));

function QueuePanel({ queue, windows, windowId, chooseWindow, onCall, onMissed, onIssue, ticketRef, notice, busy, error, code }) {
  const [category, setCategory] = useState('');
  const q = queue.data;
  const mine = q && q.windows.find((row) => row.window.id === windowId);
  const current = mine && mine.current;
  return (
    <aside class="wt-queue card" aria-labelledby="wt-queue-title" data-testid="window-queue">
      <h2 id="wt-queue-title">{t('window.queue.title')}</h2>
      <label class="field">
        <span class="field__label">{t('window.this_window')}</span>
        <select class="select--boxed" data-testid="window-pick" value={windowId || ''} onChange={(e) => chooseWindow(Number(e.currentTarget.value))}>
          {windows.filter((w) => w.active).map((w) => (
            <option key={w.id} value={w.id}>
              {t('window.numbered', { n: w.number })} · {w.name}
            </option>
          ))}
        </select>
      </label>
      <div class="wt-current" data-testid="window-current" data-label={current ? current.label : ''} aria-live="polite">
        <span class="wt-current__label">{t('window.now_serving')}</span>
        <span class="wt-current__number">{current ? current.label : '—'}</span>
        {current && <span class="wt-current__business">{current.category_name}</span>}
      </div>
      <div class="wt-keys">
        <button type="button" class="btn btn--primary btn--block" data-testid="window-call-next" disabled={busy || !windowId} onClick={onCall}>
          <kbd>F4</kbd> {t('window.call_next')}
        </button>
        <button type="button" class="btn btn--ghost btn--block" data-testid="window-missed" disabled={busy || !current} onClick={() => onMissed(current)}>
          <kbd>F8</kbd> {t('window.missed')}
        </button>
      </div>
      {notice && (
        <p class="alert alert--info wt-notice" role="status" data-testid="window-notice">
          {notice}
        </p>
      )}
      <ErrorNote error={error} testid="window-queue-error" />
      {queue.state === 'error' && !q && <LoadError error={queue.error} onRetry={queue.reload} />}
      {q && (
        <dl class="wt-counts" data-testid="window-counts" data-waiting={q.waiting} data-served={q.served}>
          <div>
            <dt>{t('window.waiting')}</dt>
            <dd data-testid="window-waiting">{q.waiting}</dd>
          </div>
          <div>
            <dt>{t('window.served_today')}</dt>
            <dd data-testid="window-served">{q.served}</dd>
          </div>
          <div>
            <dt>{t('window.missed_today')}</dt>
            <dd>{q.missed}</dd>
          </div>
          <div>
            <dt>{t('window.average_wait')}</dt>
            <dd data-testid="window-average-wait">{minutes(q.average_wait_minutes)}</dd>
          </div>
          {mine && (
            <div>
              <dt>{t('window.waiting_here')}</dt>
              <dd data-testid="window-waiting-here">{mine.waiting}</dd>
            </div>
          )}
          {q.longest_waiting_minutes != null && (
            <div>
              <dt>{t('window.longest_wait')}</dt>
              <dd>{minutes(q.longest_waiting_minutes)}</dd>
            </div>
          )}
        </dl>
      )}
      {q && (
        <form
          class="wt-ticket"
          onSubmit={(e) => {
            e.preventDefault();
            onIssue(category || null);
          }}
        >
          <label class="field">
            <span class="field__label">
              <kbd>F9</kbd> {t('window.take_number')}
            </span>
            <select ref={ticketRef} class="select--boxed" data-testid="window-ticket-business" value={category} onChange={(e) => setCategory(e.currentTarget.value)}>
              {q.categories.map((c) => (
                <option key={c.category || ''} value={c.category || ''}>
                  {c.name}
                  {c.waiting ? ` (${t('window.n_waiting', { n: c.waiting })})` : ''}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" class="btn btn--ghost btn--block" data-testid="window-ticket-take" disabled={busy}>
            {t('window.give_number')}
          </button>
        </form>
      )}
      <a class="wt-setup-link" href="#/window/setup" data-testid="window-setup-link">
        {t('window.setup.link')}
      </a>
      <a class="wt-hall-link" href={`#/queue/${code}`} target="_blank" rel="noopener" data-testid="window-hall-link">
        {t('window.hall.open')}
      </a>
    </aside>
  );
}

export default function Terminal({ user }) {
  const choice = useCommunityChoice(user);
  const code = choice.chosen;
  const windows = useCommunityLoad(choice, getWindows);
  const queue = useCommunityLoad(choice, getQueue);
  const catalogue = useLoad(getCatalogue, []);
  const [windowId, chooseWindow] = useStoredWindow(code, windows.data);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  // The walk-in at the window: lookup → card → intake → receipt.
  const [step, setStep] = useState('lookup');
  const [resident, setResident] = useState(null);
  const [kase, setKase] = useState(null);
  const [card, setCard] = useState(null);
  const lookupRef = useRef(null);
  const ticketRef = useRef(null);
  const keys = useRef({});

  useEffect(() => {
    const timer = setInterval(() => queue.reload(), POLL_MS);
    return () => clearInterval(timer);
  }, [code]);

  const myWindow = (windows.data || []).find((w) => w.id === windowId) || null;

  const toLookup = () => {
    setStep('lookup');
    setResident(null);
    setKase(null);
    setCard(null);
    setTimeout(() => lookupRef.current && lookupRef.current.focus(), 0);
  };

  const run = async (work) => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      queue.reload();
    }
  };

  const onCall = () =>
    run(async () => {
      if (!windowId) return;
      const got = await callNext(windowId);
      setNotice(
        got.called
          ? t('window.called', { label: got.called.label, window: myWindow ? myWindow.number : '' })
          : t('window.nobody_waiting'),
      );
      toLookup();
    });
  const onMissed = (current) =>
    current &&
    run(async () => {
      await finishTicket(current.id, 'missed');
      setNotice(t('window.marked_missed', { label: current.label }));
    });
  const onIssue = (category) =>
    run(async () => {
      const ticket = await takeNumber(code, category);
      setNotice(
        t('window.number_given', {
          label: ticket.label,
          windows: ticket.windows.map((n) => t('window.numbered', { n })).join(t('window.or')),
          ahead: ticket.waiting_ahead,
        }),
      );
    });

  keys.current = {
    F2: toLookup,
    F4: onCall,
    F8: () => {
      const row = queue.data && queue.data.windows.find((r) => r.window.id === windowId);
      if (row && row.current) onMissed(row.current);
    },
    F9: () => ticketRef.current && ticketRef.current.focus(),
    Escape: () => {
      if (step === 'intake') setStep('card');
      else if (step !== 'lookup') toLookup();
    },
  };
  useEffect(() => {
    const onKey = (e) => {
      const handler = keys.current[e.key];
      if (!handler || e.altKey || e.ctrlKey || e.metaKey) return;
      e.preventDefault();
      handler();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  if (windows.state === 'loading' || (!windows.data && !windows.error)) {
    return (
      <section class="page window-term">
        <PageHead title={t('window.title')} />
        <Loading />
      </section>
    );
  }
  if (!windows.data) {
    return (
      <section class="page window-term">
        <PageHead title={t('window.title')} />
        <LoadError error={windows.error} onRetry={windows.reload} />
      </section>
    );
  }
  const communityName = ((choice.communities.data || []).find((c) => c.code === code) || {}).name || '';
  return (
    <section class="page window-term" aria-labelledby="page-title" data-testid="window-terminal" data-step={step}>
      <PageHead title={t('window.title')}>
        <p class="wt-keyhelp muted" data-testid="window-keyhelp">
          <kbd>F2</kbd> {t('window.key.lookup')} · <kbd>F4</kbd> {t('window.key.next')} · <kbd>F8</kbd> {t('window.key.missed')} · <kbd>F9</kbd> {t('window.key.number')} · <kbd>Esc</kbd> {t('window.key.back')}
        </p>
      </PageHead>
      <CommunityPicker choice={choice} testid="window-community" />
      {windows.data.filter((w) => w.active).length === 0 ? (
        <p class="alert alert--info" data-testid="window-none">
          {t('window.no_windows')}
        </p>
      ) : (
        <div class="wt-grid">
          <QueuePanel
            queue={queue}
            windows={windows.data}
            windowId={windowId}
            chooseWindow={chooseWindow}
            onCall={onCall}
            onMissed={onMissed}
            onIssue={onIssue}
            ticketRef={ticketRef}
            notice={notice}
            busy={busy}
            error={error}
            code={code}
          />
          <div class="wt-walkin">
            {step === 'lookup' && (
              <Lookup
                inputRef={lookupRef}
                onPick={(r) => {
                  setResident(r);
                  setStep('card');
                }}
              />
            )}
            {step === 'card' && resident && <Card
                resident={resident}
                onIntake={(loaded) => {
                  setCard(loaded);
                  setStep('intake');
                }}
                onBack={toLookup}
              />}
            {step === 'intake' && resident && (
              <Intake
                resident={resident}
                catalogue={catalogue}
                desk={myWindow}
                onBack={() => setStep('card')}
                onDone={(made) => {
                  setKase(made);
                  setStep('receipt');
                }}
              />
            )}
            {step === 'receipt' && kase && (
              <Receipt kase={kase} card={card} communityName={communityName} desk={myWindow} clerk={user && user.name} onNext={onCall} onAnother={() => setStep('card')} />
            )}
          </div>
        </div>
      )}
    </section>
  );
}
