// 接收通知: web push on this phone, and (residents) how they hear back:
// push, SMS or both.
import { useEffect, useState } from 'preact/hooks';
import { getNotifyVia, setNotifyVia } from '../../api.js';
import { t } from '../../i18n/index.js';
import { disablePush, enablePush, pushState } from '../../push.js';
import { isResident } from '../../roles.js';
import { PageHead } from '../../ui/kit.jsx';


const CHANNELS = ['push', 'sms', 'both'];

function PushSwitch() {
  const [state, setState] = useState('checking'); // checking | unsupported | denied | on | off | working
  const [error, setError] = useState('');
  const check = () => pushState().then(setState, () => setState('unsupported'));
  useEffect(() => {
    check();
  }, []);

  const turn = async (on) => {
    setState('working');
    setError('');
    try {
      if (on) await enablePush();
      else await disablePush();
    } catch (err) {
      if (err.code === 'denied') setError(t('notify.push.denied_now'));
      else if (err.code === 'dismissed') setError(t('notify.push.dismissed'));
      else setError(t('notify.push.failed', { detail: err.detail || err.message || String(err) }));
    }
    check();
  };

  return (
    <div class="card form" data-testid="push-card">
      <h2>{t('notify.push.title')}</h2>
      <p class="muted">{t('notify.push.hint')}</p>
      <p class="notify__state" data-testid="push-state" data-state={state}>
        {t(`notify.push.state_${state}`)}
      </p>
      {state === 'off' && (
        <button type="button" class="btn btn--primary btn--block btn--huge" data-testid="push-enable" onClick={() => turn(true)}>
          {t('notify.push.enable')}
        </button>
      )}
      {state === 'on' && (
        <button type="button" class="btn btn--ghost btn--block" data-testid="push-disable" onClick={() => turn(false)}>
          {t('notify.push.disable')}
        </button>
      )}
      {error && (
        <p class="alert alert--error" role="alert" data-testid="push-error">
          {error}
        </p>
      )}
    </div>
  );
}

function ChannelChoice() {
  const [via, setVia] = useState(null);
  const [status, setStatus] = useState('loading'); // loading | ready | saving | saved | error
  const [error, setError] = useState('');
  useEffect(() => {
    getNotifyVia().then(
      (answer) => {
        setVia(answer.via);
        setStatus('ready');
      },
      (err) => {
        setError(err.detail || String(err));
        setStatus('error');
      },
    );
  }, []);
  const choose = async (next) => {
    const before = via;
    setVia(next);
    setStatus('saving');
    setError('');
    try {
      setVia((await setNotifyVia(next)).via);
      setStatus('saved');
    } catch (err) {
      setVia(before);
      setError(err.detail || String(err));
      setStatus('error');
    }
  };
  return (
    <fieldset class="card form choices" data-testid="notify-via" data-state={status} data-value={via || ''}>
      <legend class="field__label">{t('notify.via.title')}</legend>
      <p class="muted">{t('notify.via.hint')}</p>
      <div class="choices__list">
        {CHANNELS.map((channel) => (
          <button
            key={channel}
            type="button"
            class={`choice choice--wide${via === channel ? ' choice--on' : ''}`}
            aria-pressed={via === channel ? 'true' : 'false'}
            data-testid="notify-via-option"
            data-value={channel}
            disabled={status === 'loading' || status === 'saving'}
            onClick={() => choose(channel)}
          >
            {t(`notify.via.${channel}`)}
          </button>
        ))}
      </div>
      {status === 'saved' && (
        <p class="alert alert--ok" role="status" data-testid="notify-via-saved">
          {t('notify.via.saved')}
        </p>
      )}
      {error && (
        <p class="alert alert--error" role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}

export default function Notifications({ user }) {
  return (
    <section class="page page--narrow stack" aria-labelledby="page-title" data-testid="notifications">
      <PageHead title={t('notify.title')} />
      <PushSwitch />
      {isResident(user) && <ChannelChoice />}
    </section>
  );
}
