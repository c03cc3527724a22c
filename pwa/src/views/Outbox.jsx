// What waits in the offline queue, and what the server refused (未能提交):
// shown on every screen while there is any, so nothing is lost silently.
import { useState } from 'preact/hooks';
import { t } from '../i18n/index.js';
import { discard, flush, retry } from '../outbox/index.js';

const describe = (command) => t(`outbox.kind.${(command.label && command.label.action) || 'other'}`);
const subject = (command) => (command.label && command.label.title) || (command.body && command.body.title) || '';

export function Outbox({ outbox, online }) {
  const [busy, setBusy] = useState(false);
  const { pending, failed } = outbox;
  if (!pending.length && !failed.length) return null;
  const act = async (work) => {
    setBusy(true);
    try {
      await work();
    } catch {
      /* the list shows what is left */
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="outbox">
      {pending.length > 0 && (
        <div class="notice notice--pending" data-testid="outbox-pending" data-count={pending.length} role="status">
          <div class="notice__text">
            <strong>{t('outbox.pending', { n: pending.length })}</strong>
            <span>{online ? t('outbox.pending_hint_online') : t('outbox.pending_hint_offline')}</span>
          </div>
          {online && (
            <button type="button" class="btn btn--ghost" data-testid="outbox-send-now" disabled={busy} onClick={() => act(flush)}>
              {t('outbox.send_now')}
            </button>
          )}
        </div>
      )}
      {failed.length > 0 && (
        <section class="notice notice--failed" data-testid="outbox-failed" aria-labelledby="outbox-failed-title">
          <div class="notice__text">
            <strong id="outbox-failed-title">{t('outbox.failed_title')}</strong>
            <span>{t('outbox.failed_hint')}</span>
            <ul class="outbox__list">
              {failed.map((command) => (
                <li key={command.id} class="outbox__item" data-testid="outbox-failed-item" data-id={command.id} data-kind={command.kind}>
                  <span class="outbox__what">
                    {subject(command) ? t('outbox.item', { what: describe(command), title: subject(command) }) : describe(command)}
                  </span>
                  <span class="outbox__reason" data-testid="outbox-reason">
                    {t('outbox.reason', { detail: (command.error && command.error.detail) || '' })}
                  </span>
                  <span class="outbox__actions">
                    <button type="button" class="btn btn--ghost btn--small" data-testid="outbox-retry" disabled={busy || !online} onClick={() => act(() => retry(command.id))}>
                      {t('outbox.retry')}
                    </button>
                    <button type="button" class="btn btn--danger btn--small" data-testid="outbox-discard" disabled={busy} onClick={() => act(() => discard(command.id))}>
                      {t('outbox.discard')}
                    </button>
                  </span>
                </li>
              ))}
            </ul>
          </div>
        </section>
      )}
    </div>
  );
}
