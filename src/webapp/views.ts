// The web app's pages, rendered on the server. hono/html escapes every interpolated value.
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const style = `
  body { font: 16px/1.45 system-ui, sans-serif; margin: 0; color: #111; background: #f6f7f9; }
  main { max-width: 34rem; margin: 0 auto; padding: 1rem; }
  h1 { font-size: 1.3rem; }
  .card { background: #fff; border-radius: .6rem; padding: 1rem; margin: .8rem 0; box-shadow: 0 1px 3px #0002; }
  .status { display: inline-block; padding: .1rem .5rem; border-radius: 1rem; font-size: .85rem; background: #e5e7eb; }
  .status.open { background: #fee2e2; color: #991b1b; } .status.acknowledged { background: #dcfce7; color: #166534; }
  button, .button { font-size: 1.05rem; padding: .7rem 1.2rem; border: 0; border-radius: .5rem; background: #1d4ed8; color: #fff; text-decoration: none; display: inline-block; }
  button.ack { background: #15803d; width: 100%; font-size: 1.2rem; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; } dt { color: #555; }
  .phi { border-left: 4px solid #b45309; } .error { color: #991b1b; } input { font-size: 1.2rem; padding: .5rem; width: 10rem; letter-spacing: .3rem; }
  ul.timeline { padding-left: 1.1rem; font-size: .9rem; color: #333; }`;

export function layout(title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <link rel="manifest" href="/manifest.webmanifest" />
    <title>${title} · Pagerless</title>
    <style>
      ${style}
    </style>
  </head>
  <body>
    <main>${body}</main>
  </body>
</html>`;
}

export function messagePage(title: string, text: string, link?: { href: string; label: string }): Html {
  return layout(title, html`<h1>${title}</h1><div class="card"><p>${text}</p>${link === undefined ? '' : html`<p><a class="button" href="${link.href}">${link.label}</a></p>`}</div>`);
}

export function enrollPage(input: { name: string; code: string; error: string | null }): Html {
  return layout(
    'Enroll this device',
    html`<h1>Enroll this device</h1>
      <div class="card">
        <p>This phone will receive Pagerless pages for <strong>${input.name}</strong>, and show page details after you sign in with your PIN.</p>
        ${input.error === null ? '' : html`<p class="error" role="alert">${input.error}</p>`}
        <form method="post" action="/enroll/${input.code}">
          <p><label>Choose a PIN (4–8 digits)<br /><input name="pin" type="password" inputmode="numeric" autocomplete="new-password" required /></label></p>
          <p><label>The PIN again<br /><input name="pin2" type="password" inputmode="numeric" autocomplete="new-password" required /></label></p>
          <p><button type="submit">Enroll</button></p>
        </form>
      </div>`,
  );
}

export function signInPage(input: { name: string | null; next: string; error: string | null }): Html {
  if (input.name === null) {
    return messagePage('Not enrolled', 'This browser is not enrolled for Pagerless. Ask operations for an enrollment link, and open it on this device.');
  }
  return layout(
    'Sign in',
    html`<h1>Sign in</h1>
      <div class="card">
        <p>Enter your PIN to see page details, ${input.name}. You are signed out after a while without use.</p>
        ${input.error === null ? '' : html`<p class="error" role="alert">${input.error}</p>`}
        <form method="post" action="/signin">
          <input type="hidden" name="next" value="${input.next}" />
          <p><label>PIN<br /><input name="pin" type="password" inputmode="numeric" autocomplete="current-password" required autofocus /></label></p>
          <p><button type="submit">Sign in</button></p>
        </form>
      </div>`,
  );
}

export interface PageListItem {
  readonly id: string;
  readonly workflow: string;
  readonly status: string;
  readonly openedAt: Date;
}

export function appPage(input: { name: string; pages: readonly PageListItem[]; vapidPublicKey: string; enrolled: boolean }): Html {
  return layout(
    'Your pages',
    html`<h1>Your pages</h1>
      <p>Signed in as ${input.name}. <form method="post" action="/signout" style="display:inline"><button type="submit" style="padding:.2rem .6rem;font-size:.8rem">Sign out</button></form></p>
      <div class="card">
        <p id="push-status" data-state="off">${input.enrolled ? 'This device is enrolled. Turn on notifications to get pages here.' : 'Notifications on this device:'}</p>
        <button id="enable-push" type="button" data-vapid="${input.vapidPublicKey}">Turn on notifications</button>
      </div>
      ${input.pages.length === 0
        ? html`<div class="card"><p>No open pages.</p></div>`
        : input.pages.map(
            (p) => html`<div class="card page-item"><a href="/pages/${p.id}"><strong>${p.workflow}</strong> · page ${p.id.slice(0, 8)}</a> <span class="status ${p.status}">${p.status}</span><br /><small>opened ${p.openedAt.toISOString()}</small></div>`,
          )}
      <script src="/app.js"></script>`,
  );
}

export interface PageDetailView {
  readonly id: string;
  readonly workflow: string;
  readonly route: string;
  readonly status: 'open' | 'acknowledged' | 'resolved';
  readonly openedAt: Date;
  readonly fields: Readonly<Record<string, string | number>>;
  /** Shown only here, to a signed-in person the page was sent to. */
  readonly phi: Readonly<Record<string, string | number>>;
  readonly acknowledgement: { readonly byName: string; readonly via: string; readonly at: Date } | null;
  readonly deliveries: readonly { readonly channel: string; readonly status: string; readonly at: Date }[];
}

export function pageDetailPage(p: PageDetailView): Html {
  const entries = (o: Readonly<Record<string, string | number>>) => Object.entries(o).map(([k, v]) => html`<dt>${k}</dt><dd data-field="${k}">${String(v)}</dd>`);
  return layout(
    `Page ${p.id.slice(0, 8)}`,
    html`<h1>${p.workflow} <span class="status ${p.status}" id="page-status">${p.status}</span></h1>
      <div class="card"><dl>${entries(p.fields)}<dt>opened</dt><dd>${p.openedAt.toISOString()}</dd></dl></div>
      ${Object.keys(p.phi).length === 0 ? '' : html`<div class="card phi" id="phi"><dl>${entries(p.phi)}</dl></div>`}
      ${p.status === 'open'
        ? html`<form method="post" action="/pages/${p.id}/ack"><button class="ack" type="submit" id="acknowledge">Acknowledge</button></form>`
        : p.acknowledgement === null
          ? ''
          : html`<div class="card" id="acknowledgement">Acknowledged by ${p.acknowledgement.byName} via ${p.acknowledgement.via} at ${p.acknowledgement.at.toISOString()}</div>`}
      <div class="card">
        <strong>Deliveries to you</strong>
        <ul class="timeline">
          ${p.deliveries.map((d) => html`<li>${d.at.toISOString()} · ${d.channel}: ${d.status}</li>`)}
        </ul>
      </div>
      <p><a href="/app">All your pages</a></p>`,
  );
}

export function ackLinkPage(input: { token: string; pageId: string; workflow: string; status: 'open' | 'acknowledged' | 'resolved'; openedAt: Date; acknowledgedBy: string | null }): Html {
  return layout(
    'Acknowledge',
    html`<h1>${input.workflow} page ${input.pageId.slice(0, 8)}</h1>
      <div class="card">
        <p>Opened ${input.openedAt.toISOString()}. <span class="status ${input.status}">${input.status}</span></p>
        ${input.status === 'open'
          ? html`<form method="post" action="/ack/${input.token}"><button class="ack" type="submit" id="acknowledge">Acknowledge</button></form>`
          : html`<p>${input.acknowledgedBy === null ? 'Nothing more to do.' : `Acknowledged by ${input.acknowledgedBy}.`}</p>`}
      </div>
      <p><a class="button" href="/pages/${input.pageId}" id="details">Sign in to see the details</a></p>`,
  );
}
