// Service worker registration in "prompt" mode: the page says once that it
// works offline, and offers a new version instead of switching under the user.
import { registerSW } from 'virtual:pwa-register';

const UPDATE_CHECK_MS = 60 * 60 * 1000;

/**
 * @param {{onOfflineReady: () => void, onNeedRefresh: () => void}} handlers
 * @returns {(reload?: boolean) => Promise<void>} activates the waiting worker and reloads
 */
export function startServiceWorker({ onOfflineReady, onNeedRefresh }) {
  if (!('serviceWorker' in navigator)) return async () => {};
  return registerSW({
    immediate: true,
    onOfflineReady,
    onNeedRefresh,
    onRegisteredSW(_url, registration) {
      if (!registration) return;
      setInterval(() => {
        if (navigator.onLine && registration.installing == null) registration.update().catch(() => {});
      }, UPDATE_CHECK_MS);
    },
    onRegisterError(error) {
      console.warn('service worker registration failed', error);
    },
  });
}
