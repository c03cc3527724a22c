// 我的走访时间: the weekly hours a grid worker (or community staff) can go out on
// visits. The office's next plan of a week keeps their visits inside them; with
// none given, every noon and evening window of the week is theirs to plan.
import { useEffect, useState } from 'preact/hooks';
import { getMyVisitHours, setMyVisitHours } from '../../api.js';
import { t } from '../../i18n/index.js';
import { LoadError, Loading, PageHead, useLoad } from '../../ui/kit.jsx';
import { AvailabilityEditor, slotsValid } from '../people/Availability.jsx';

export default function Hours() {
  const hours = useLoad(() => getMyVisitHours(), []);
  const [slots, setSlots] = useState([]);
  const [status, setStatus] = useState('ready'); // ready | saving | saved | error
  const [error, setError] = useState('');
  useEffect(() => {
    if (hours.data) setSlots(hours.data.availability);
  }, [hours.data]);
  const windows = (hours.data && hours.data.windows) || {};
  // The community's own windows are the quick choices (午间 12:00–14:00 …).
  const presets = ['noon', 'evening'].filter((w) => windows[w]).map((w) => [w, windows[w][0], windows[w][1]]);
  const save = async (event) => {
    event.preventDefault();
    if (!slotsValid(slots)) return;
    setStatus('saving');
    setError('');
    try {
      const saved = await setMyVisitHours(slots);
      setSlots(saved.availability);
      setStatus('saved');
    } catch (err) {
      setError((err && err.detail) || String(err));
      setStatus('error');
    }
  };
  return (
    <section class="page page--narrow stack" aria-labelledby="page-title" data-testid="visit-hours" data-state={hours.state}>
      <PageHead title={t('visit.hours.title')} />
      {hours.state === 'loading' && <Loading />}
      {hours.state === 'error' && <LoadError error={hours.error} onRetry={hours.reload} />}
      {hours.state === 'ready' && (
        <form class="card form" onSubmit={save} noValidate data-testid="visit-hours-form" data-status={status}>
          <p class="muted">{t('visit.hours.hint')}</p>
          <p class="muted" data-testid="visit-hours-windows">
            {presets.map(([w, start, end]) => t(`people.availability_${w}`, { start, end })).join(' · ')}
          </p>
          <AvailabilityEditor
            value={slots}
            presets={presets}
            onChange={(next) => {
              setSlots(next);
              setStatus('ready');
            }}
          />
          {slots.length === 0 && (
            <p class="alert alert--info" role="status" data-testid="visit-hours-every">
              {t('visit.hours.every')}
            </p>
          )}
          <button type="submit" class="btn btn--primary btn--block btn--big" data-testid="visit-hours-save" disabled={status === 'saving' || !slotsValid(slots)}>
            {t('visit.hours.save')}
          </button>
          {status === 'saved' && (
            <p class="alert alert--ok" role="status" data-testid="visit-hours-saved">
              {t('visit.hours.saved')}
            </p>
          )}
          {error && (
            <p class="alert alert--error" role="alert" data-testid="visit-hours-error">
              {error}
            </p>
          )}
        </form>
      )}
    </section>
  );
}
