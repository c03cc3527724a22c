// 叫号屏: the service hall's display, for a screen on the wall. Public (no log-in,
// no personal data: ticket numbers and windows only), large type, refreshed every
// few seconds; with the voice switched on it also says each new call aloud
// (browsers let a page speak only after someone has pressed something on it).
import { useEffect, useRef, useState } from 'preact/hooks';
import { getLocale, t } from '../../i18n/index.js';
import { LoadError, Loading, useLoad } from '../../ui/kit.jsx';
import { getHall } from './windowApi.js';
import './window.css';

const POLL_MS = 5000;
const VOICES = { zh_Hans: 'zh-CN', zh_Hant: 'zh-TW', en: 'en-GB' };

export default function Hall({ code }) {
  const locale = getLocale();
  const hall = useLoad(() => getHall(code), [code, locale]);
  const [voice, setVoice] = useState(false);
  const said = useRef('');
  useEffect(() => {
    const timer = setInterval(() => hall.reload(), POLL_MS);
    return () => clearInterval(timer);
  }, [code]);

  const latest = hall.data && hall.data.calls[0];
  const sentence = latest ? t('window.hall.please', { label: latest.label, window: latest.window_number }) : '';
  useEffect(() => {
    if (!latest) return;
    const id = `${latest.label}@${latest.called_at}`;
    if (said.current === id) return;
    const first = said.current === '';
    said.current = id;
    if (voice && !first && typeof speechSynthesis !== 'undefined') {
      const utterance = new SpeechSynthesisUtterance(sentence);
      utterance.lang = VOICES[locale] || 'zh-CN';
      speechSynthesis.speak(utterance);
    }
  }, [latest && latest.label, latest && latest.called_at, voice]);

  if (hall.state === 'loading') return <Loading />;
  if (!hall.data) return <LoadError error={hall.error} onRetry={hall.reload} />;
  const h = hall.data;
  return (
    <section class="page wt-hall" aria-labelledby="page-title" data-testid="window-hall">
      <h1 id="page-title">{t('window.hall.title', { community: h.community_name })}</h1>
      <div class="wt-hall__now" aria-live="assertive" data-testid="hall-now" data-label={latest ? latest.label : ''}>
        {latest ? (
          <>
            <span class="wt-hall__number">{latest.label}</span>
            <span class="wt-hall__to">{t('window.hall.to', { window: latest.window_number, name: latest.window_name })}</span>
          </>
        ) : (
          <span class="wt-hall__to">{t('window.hall.none_yet')}</span>
        )}
      </div>
      <p class="wt-hall__waiting" data-testid="hall-waiting">
        {t('window.hall.waiting', { n: h.waiting })}
      </p>
      {h.calls.length > 1 && (
        <table class="wt-hall__calls" data-testid="hall-calls">
          <thead>
            <tr>
              <th scope="col">{t('window.hall.number')}</th>
              <th scope="col">{t('window.hall.window')}</th>
            </tr>
          </thead>
          <tbody>
            {h.calls.slice(1).map((c) => (
              <tr key={`${c.label}-${c.called_at}`}>
                <td>{c.label}</td>
                <td>
                  {t('window.numbered', { n: c.window_number })} {c.window_name}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <label class="check wt-hall__voice">
        <input type="checkbox" checked={voice} onChange={(e) => setVoice(e.currentTarget.checked)} data-testid="hall-voice" />
        {t('window.hall.voice')}
      </label>
    </section>
  );
}
