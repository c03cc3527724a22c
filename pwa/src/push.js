// Web push on this device: subscribe with the server's VAPID key, tell the
// server, and forget the subscription at log-out (the next person to use the
// phone must not get the previous user's messages).
import { deletePushSubscription, getPushKey, savePushSubscription } from './api.js';

export const pushSupported = () =>
  typeof window !== 'undefined' && 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;

function base64UrlToBytes(text) {
  const base64 = (text + '='.repeat((4 - (text.length % 4)) % 4)).replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

function sameKey(buffer, bytes) {
  if (!buffer) return false;
  const a = new Uint8Array(buffer);
  return a.length === bytes.length && a.every((value, i) => value === bytes[i]);
}

const registration = () => (pushSupported() ? navigator.serviceWorker.getRegistration() : Promise.resolve(undefined));

/** 'unsupported' | 'denied' | 'on' | 'off' for this device. */
export async function pushState() {
  if (!pushSupported()) return 'unsupported';
  if (Notification.permission === 'denied') return 'denied';
  const reg = await registration();
  if (!reg) return 'unsupported';
  const subscription = await reg.pushManager.getSubscription();
  return subscription && Notification.permission === 'granted' ? 'on' : 'off';
}

/** Asks for permission, subscribes and registers the subscription with the server. */
export async function enablePush() {
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') {
    const error = new Error('permission');
    error.code = permission === 'denied' ? 'denied' : 'dismissed';
    throw error;
  }
  const reg = await registration();
  if (!reg) throw Object.assign(new Error('no service worker'), { code: 'unsupported' });
  const key = base64UrlToBytes((await getPushKey()).public_key);
  let subscription = await reg.pushManager.getSubscription();
  if (subscription && !sameKey(subscription.options && subscription.options.applicationServerKey, key)) {
    await subscription.unsubscribe(); // made for another server key: useless now
    subscription = null;
  }
  if (!subscription) {
    subscription = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  }
  await savePushSubscription(subscription.toJSON());
  return subscription;
}

/** Stops push to this device, on the server (when reachable) and in the browser. */
export async function disablePush({ tellServer = true } = {}) {
  const reg = await registration();
  const subscription = reg && (await reg.pushManager.getSubscription());
  if (!subscription) return;
  if (tellServer) await deletePushSubscription(subscription.endpoint).catch(() => {});
  await subscription.unsubscribe().catch(() => {});
}

/** Best effort before log-out, never holding it up for more than a moment. */
export function forgetPushBeforeLogout() {
  return Promise.race([disablePush().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 2000))]);
}
