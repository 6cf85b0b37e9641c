// GET /dashboard: the managers' page, behind sign-in with an admin or manager token (kept in an
// HTTP-only cookie for the dashboard's path, or sent as a Bearer token).
import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { html } from 'hono/html';
import type { TokenHolder, TokenLookup } from '../../auth/tokens.js';
import type { Db } from '../../db/index.js';
import { dashboardPage } from '../../retirement/dashboard-view.js';
import { dashboardData } from '../../retirement/dashboard-data.js';
import { migrationReport, reportCsv } from '../../retirement/report.js';
import type { RulesRegistry } from '../../rules/index.js';
import { reportQuery } from '../report-query.js';
import { requestText } from '../body.js';

const cookie = 'pagerless_dashboard';

function signInPage(error: string | null, next: string) {
  return html`<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>Sign in · Pager retirement</title></head>
  <body style="font: 15px system-ui, sans-serif; max-width: 28rem; margin: 3rem auto">
    <h1>Pager retirement</h1>
    <p>Sign in with your manager or operations token.</p>
    ${error === null ? '' : html`<p role="alert" style="color:#991b1b">${error}</p>`}
    <form method="post" action="/dashboard/signin"><input type="hidden" name="next" value="${next}" /><input name="token" type="password" autocomplete="off" required style="width:100%" /> <p><button type="submit">Sign in</button></p></form>
  </body>
</html>`;
}

export function dashboardRoutes(deps: { readonly db: Db; readonly rules: RulesRegistry; readonly clock: () => Date; readonly tokens: TokenLookup; readonly publicBaseUrl: () => string }): Hono {
  const holderOf = async (c: Context): Promise<TokenHolder | null> => {
    const bearer = c.req.header('authorization')?.match(/^Bearer\s+(\S+)$/i)?.[1];
    const token = bearer ?? getCookie(c, cookie);
    if (token === undefined) return null;
    const holder = await deps.tokens(token);
    return holder !== null && (holder.kind === 'admin' || holder.kind === 'manager') ? holder : null;
  };
  const app = new Hono();
  app.use('*', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
    c.header('X-Frame-Options', 'DENY');
  });
  app.use('*', csrf({ origin: (origin) => origin === new URL(deps.publicBaseUrl()).origin }));
  /** Where the sign-in form comes back to: this path and query, only ever under /dashboard. */
  const here = (c: Context) => {
    const url = new URL(c.req.url);
    return `${url.pathname}${url.search}`;
  };
  app.get('/', async (c) => {
    if ((await holderOf(c)) === null) return c.html(signInPage(null, here(c)), 401);
    const now = deps.clock();
    const q = reportQuery(c, deps.rules, now);
    return c.html(dashboardPage(await dashboardData(deps, { period: q.period, zone: q.zone, ...(q.workflow === undefined ? {} : { workflow: q.workflow }), now })));
  });
  // The same figures as CSV, behind the dashboard's own sign-in (the API wants a Bearer token).
  app.get('/export.csv', async (c) => {
    if ((await holderOf(c)) === null) return c.html(signInPage(null, '/dashboard'), 401);
    const now = deps.clock();
    const q = reportQuery(c, deps.rules, now);
    const report = await migrationReport(deps, { ...q, now });
    return c.body(reportCsv(report), 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="pagerless-migration.csv"' });
  });
  app.post('/signin', async (c) => {
    if (!(c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded')) return c.html(signInPage('Sign in with the form.', '/dashboard'), 415);
    const form = new URLSearchParams(await requestText(c));
    const token = form.get('token') ?? '';
    // Back to the question asked, but never anywhere but the dashboard.
    const nextPath = form.get('next') ?? '';
    const next = /^\/dashboard(\?[^\s]*)?$/.test(nextPath) ? nextPath : '/dashboard';
    const holder = token === '' ? null : await deps.tokens(token);
    if (holder === null || (holder.kind !== 'admin' && holder.kind !== 'manager')) return c.html(signInPage('That is not a manager or operations token.', next), 401);
    setCookie(c, cookie, token, { httpOnly: true, sameSite: 'Strict', secure: deps.publicBaseUrl().startsWith('https:'), path: '/dashboard', maxAge: 8 * 3600 });
    return c.redirect(next, 303);
  });
  app.post('/signout', (c) => {
    deleteCookie(c, cookie, { path: '/dashboard' });
    return c.redirect('/dashboard', 303);
  });
  return app;
}
