// The web app's static files: the service worker (push notifications with an Acknowledge action)
// and the script that turns push on for an enrolled device. Plain browser JavaScript, served as
// is: there is no front-end build.

/** The service worker. A push shows the rules' push text only (no PHI on a lock screen). */
export const serviceWorkerJs = `'use strict';
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('push', (event) => {
  const data = event.data ? event.data.json() : null;
  if (!data || data.v !== 1) return;
  event.waitUntil(self.registration.showNotification(data.title, {
    body: data.body,
    // One notification per page: a newer push for the page replaces the older one.
    tag: 'page-' + data.pageId,
    renotify: true,
    requireInteraction: true,
    data: { open: data.open, ackToken: data.ackToken, pageId: data.pageId },
    actions: [{ action: 'ack', title: 'Acknowledge' }],
  }));
});

self.addEventListener('notificationclick', (event) => {
  const data = event.notification.data || {};
  event.notification.close();
  if (event.action === 'ack') {
    // Acknowledge without opening the app; say so if it did not work, so nobody thinks it did.
    event.waitUntil(
      fetch('/v1/push/ack', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: data.ackToken }) })
        .then((r) => r.ok ? r.json() : Promise.reject(new Error(String(r.status))))
        .then(() => self.registration.showNotification('Acknowledged', { body: 'Thank you.', tag: 'page-' + data.pageId }))
        .catch(() => self.registration.showNotification('Not acknowledged', { body: 'Open Pagerless to acknowledge.', tag: 'page-' + data.pageId, data })),
    );
    return;
  }
  event.waitUntil(self.clients.openWindow(data.open || '/app'));
});
`;

/** On the app page: the "Turn on notifications" button registers the service worker and the push subscription. */
export const appJs = `'use strict';
(() => {
  const button = document.getElementById('enable-push');
  const status = document.getElementById('push-status');
  if (!button || !status) return;
  const say = (state, text) => { status.dataset.state = state; status.textContent = text; };
  if (!('serviceWorker' in navigator) || !('PushManager' in window)) {
    say('unsupported', 'This browser cannot show push notifications. Pages reach you by text and call.');
    button.hidden = true;
    return;
  }
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const permission = await Notification.requestPermission();
      if (permission !== 'granted') throw new Error('notifications are not allowed for this site');
      const registration = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
      await navigator.serviceWorker.ready;
      const subscription = (await registration.pushManager.getSubscription()) ||
        (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: button.dataset.vapid }));
      const response = await fetch('/v1/push/subscriptions', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(subscription.toJSON()),
      });
      if (!response.ok) throw new Error('the gateway answered ' + response.status);
      say('on', 'Push notifications are on for this device.');
      button.hidden = true;
    } catch (e) {
      say('error', 'Push notifications could not be turned on (' + e.message + '). Pages reach you by text and call.');
      button.disabled = false;
    }
  });
})();
`;

export const manifestJson = JSON.stringify({
  name: 'Pagerless',
  short_name: 'Pagerless',
  start_url: '/app',
  display: 'standalone',
  background_color: '#ffffff',
  theme_color: '#1d4ed8',
});
