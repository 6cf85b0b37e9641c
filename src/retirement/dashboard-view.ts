// The managers' dashboard, rendered on the server: one row per workflow (stage, targets, figures
// against the legacy baseline, readiness), a chart of acknowledgement-time percentiles over
// time with the stage changes marked (SVG, drawn here: no chart library, nothing to load), and the
// chosen workflow broken down by unit and channel. Every figure carries data attributes naming
// what it is, so that a test can read the page the way the API reads.
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { WorkflowTargets } from '../../grammar/index.js';
import type { TrendPoint } from './ack-trend.js';
import type { AckTimes, PageFigures, Period } from './figures.js';
import type { MigrationReport, WorkflowReport } from './report.js';
import type { StageChange } from './stages.js';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export interface DashboardInput {
  readonly report: MigrationReport;
  /** The workflow the chart and drill-down are for. */
  readonly selected: WorkflowReport | null;
  readonly trend: readonly TrendPoint[];
  /** The period the chart covers (a year to the report's end). */
  readonly trendPeriod: Period;
  readonly byUnit: readonly ({ readonly key: string } & PageFigures)[];
  readonly byChannel: readonly ({ readonly key: string } & PageFigures)[];
}

/** 95 s → "1:35"; 3 725 s → "1:02:05". */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

export const percent = (rate: number | null): string => (rate === null ? '—' : `${(rate * 100).toFixed(1)}%`);

function targetsText(t: WorkflowTargets): string {
  const parts = [
    t.ack === null ? null : `ack p${t.ack.percentile} ≤ ${duration(t.ack.withinMs / 1000)}`,
    t.missedAtMostPercent === null ? null : `missed ≤ ${t.missedAtMostPercent}%`,
    t.escalatedAtMostPercent === null ? null : `escalated ≤ ${t.escalatedAtMostPercent}%`,
  ].filter((p) => p !== null);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

const cell = (figure: string, value: string) => html`<td data-figure="${figure}">${value}</td>`;
const ack = (a: AckTimes | null, which: 'p50' | 'p90' | 'p95') => duration(a?.[which]);

function verdictText(w: WorkflowReport): string {
  const v = w.readiness.verdict;
  switch (v.verdict) {
    case 'ready':
      return 'ready';
    case 'not-ready':
      return `not ready (${v.failing.join(', ')})`;
    case 'too-few-pages':
      return `too few pages (${v.pages} of ${v.minPages})`;
    case 'no-targets':
      return 'no targets';
  }
}

const style = `
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #111; background: #f6f7f9; }
  main { max-width: 78rem; margin: 0 auto; padding: 1rem; }
  table { border-collapse: collapse; width: 100%; background: #fff; margin: .6rem 0 1.2rem; }
  th, td { padding: .35rem .5rem; border-bottom: 1px solid #e5e7eb; text-align: right; white-space: nowrap; }
  th:first-child, td:first-child { text-align: left; }
  .legacy { color: #6b7280; } .ready { color: #166534; font-weight: 600; } .not-ready { color: #991b1b; }
  .stage { display: inline-block; padding: 0 .4rem; border-radius: .6rem; background: #e5e7eb; font-size: .8rem; }
  td.targets { white-space: normal; text-align: left; }
  .chart { background: #fff; padding: .5rem; } form { margin: .5rem 0; } a { color: #1d4ed8; }`;

export function dashboardPage(input: DashboardInput): Html {
  const { report, selected } = input;
  const period = `${report.period.from.toISOString().slice(0, 10)} – ${report.period.to.toISOString().slice(0, 10)}`;
  const question = (extra: Record<string, string>) => new URLSearchParams({ from: report.period.from.toISOString(), to: report.period.to.toISOString(), zone: report.zone, ...extra }).toString();
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Pager retirement · Pagerless</title>
    <style>
      ${style}
    </style>
  </head>
  <body>
    <main>
      <h1>Pager retirement</h1>
      <p>Pages opened ${period} (${report.zone}); readiness over each workflow's own window. Rules version <code>${report.rulesVersion.slice(0, 12)}</code>.
        <a href="/dashboard/export.csv?${question({})}" id="csv">CSV</a></p>
      <form method="post" action="/dashboard/signout"><button type="submit">Sign out</button></form>
      <table id="workflows">
        <thead>
          <tr>
            <th>workflow</th><th>stage</th><th>targets</th><th>pages</th><th>ack p50</th><th>ack p90</th><th>ack p95</th>
            <th class="legacy">pager p50</th><th class="legacy">pager p90</th><th>missed</th><th>escalated</th><th>pager before ack</th><th>readiness</th>
          </tr>
        </thead>
        <tbody>
          ${report.workflows.map(
            (w) => html`<tr data-workflow="${w.workflow}">
              <td><a href="/dashboard?${question({ workflow: w.workflow })}">${w.workflow}</a></td>
              <td><span class="stage">${w.stage}</span></td>
              <td class="targets">${targetsText(w.targets)}</td>
              ${cell('pages', String(w.figures.pages))}
              ${cell('ack-p50', ack(w.figures.ackSeconds, 'p50'))}
              ${cell('ack-p90', ack(w.figures.ackSeconds, 'p90'))}
              ${cell('ack-p95', ack(w.figures.ackSeconds, 'p95'))}
              <td class="legacy" data-figure="legacy-p50">${ack(w.legacy?.ackSeconds ?? null, 'p50')}</td>
              <td class="legacy" data-figure="legacy-p90">${ack(w.legacy?.ackSeconds ?? null, 'p90')}</td>
              ${cell('missed', percent(w.figures.missedRate))}
              ${cell('escalated', percent(w.figures.escalationRate))}
              ${cell('pager-before-ack', w.readiness.pagerFallback === null ? '—' : percent(w.readiness.pagerFallback.rate))}
              <td data-figure="readiness" class="${w.readiness.verdict.verdict}">${verdictText(w)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
      ${selected === null
        ? ''
        : html`<h2 id="selected" data-workflow="${selected.workflow}">${selected.workflow}: acknowledgement time by week</h2>
            <div class="chart">${trendChart(input.trend, input.trendPeriod, report.stageChanges.filter((c) => c.workflow === selected.workflow), selected.legacy?.ackSeconds?.p90 ?? null)}</div>
            <h2>${selected.workflow} by unit</h2>
            ${breakdownTable('by-unit', 'unit', input.byUnit)}
            <h2>${selected.workflow} by channel acknowledged on</h2>
            ${breakdownTable('by-channel', 'channel', input.byChannel)}`}
    </main>
  </body>
</html>`;
}

function breakdownTable(id: string, label: string, rows: readonly ({ readonly key: string } & PageFigures)[]): Html {
  return html`<table id="${id}">
    <thead><tr><th>${label}</th><th>pages</th><th>ack p50</th><th>ack p90</th><th>ack p95</th><th>missed</th><th>escalated</th></tr></thead>
    <tbody>
      ${rows.map(
        (r) => html`<tr data-key="${r.key}"><td>${r.key}</td>${cell('pages', String(r.pages))}${cell('ack-p50', ack(r.ackSeconds, 'p50'))}${cell('ack-p90', ack(r.ackSeconds, 'p90'))}${cell('ack-p95', ack(r.ackSeconds, 'p95'))}${cell('missed', percent(r.missedRate))}${cell('escalated', percent(r.escalationRate))}</tr>`,
      )}
    </tbody>
  </table>`;
}

const width = 900;
const height = 260;
const pad = { left: 52, right: 16, top: 14, bottom: 28 };

/** A stage change's label, beside its line, on the side with room. */
function stageLabel(at: number, stage: string): string {
  const left = at > width * 0.85;
  return `<text x="${(at + (left ? -4 : 4)).toFixed(1)}" y="${pad.top + 10}" font-size="11" fill="#b45309" text-anchor="${left ? 'end' : 'start'}">${stage}</text>`;
}

/** p50, p90 and p95 by week as lines; the pagers' p90 as a dashed line; each stage change as a marked vertical. */
export function trendChart(points: readonly TrendPoint[], period: Period, allStages: readonly StageChange[], legacyP90: number | null): Html {
  const known = points.filter((p) => p.ackSeconds !== null);
  if (known.length === 0) return html`<p>No acknowledged pages in this period.</p>`;
  // The x axis is the period itself, so that each week and each stage change sits where it happened.
  const t0 = period.from.getTime();
  const t1 = period.to.getTime();
  const stages = allStages.filter((s) => s.at.getTime() >= t0 && s.at.getTime() <= t1);
  const yMax = Math.max(...known.map((p) => p.ackSeconds!.p95), legacyP90 ?? 0) * 1.1 || 60;
  const x = (t: number) => pad.left + ((t - t0) / (t1 - t0)) * (width - pad.left - pad.right);
  const y = (s: number) => height - pad.bottom - (s / yMax) * (height - pad.top - pad.bottom);
  const line = (which: keyof AckTimes) => known.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.at.getTime()).toFixed(1)},${y(p.ackSeconds![which]).toFixed(1)}`).join(' ');
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * yMax);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="acknowledgement time percentiles by week" id="trend">
  ${ticks.map((s) => `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(s).toFixed(1)}" y2="${y(s).toFixed(1)}" stroke="#e5e7eb"/><text x="${pad.left - 6}" y="${(y(s) + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#555">${duration(s)}</text>`).join('')}
  ${legacyP90 === null ? '' : `<line class="legacy-p90" x1="${pad.left}" x2="${width - pad.right}" y1="${y(legacyP90).toFixed(1)}" y2="${y(legacyP90).toFixed(1)}" stroke="#6b7280" stroke-dasharray="6 4"/><text x="${width - pad.right}" y="${(y(legacyP90) - 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#6b7280">pagers p90 ${duration(legacyP90)}</text>`}
  ${stages.map((s) => `<g class="stage-change" data-stage="${s.stage}"><line x1="${x(s.at.getTime()).toFixed(1)}" x2="${x(s.at.getTime()).toFixed(1)}" y1="${pad.top}" y2="${height - pad.bottom}" stroke="#b45309" stroke-dasharray="2 3"/>${stageLabel(x(s.at.getTime()), s.stage)}</g>`).join('')}
  <path class="p95" d="${line('p95')}" fill="none" stroke="#fca5a5" stroke-width="1.5"/>
  <path class="p90" d="${line('p90')}" fill="none" stroke="#dc2626" stroke-width="2"/>
  <path class="p50" d="${line('p50')}" fill="none" stroke="#1d4ed8" stroke-width="2"/>
  ${known.map((p) => `<circle class="p50" cx="${x(p.at.getTime()).toFixed(1)}" cy="${y(p.ackSeconds!.p50).toFixed(1)}" r="2.5" fill="#1d4ed8"/><circle class="p95" cx="${x(p.at.getTime()).toFixed(1)}" cy="${y(p.ackSeconds!.p95).toFixed(1)}" r="2" fill="#fca5a5"/><circle class="p90" cx="${x(p.at.getTime()).toFixed(1)}" cy="${y(p.ackSeconds!.p90).toFixed(1)}" r="2.5" fill="#dc2626"><title>week of ${p.at.toISOString().slice(0, 10)}: p50 ${duration(p.ackSeconds!.p50)}, p90 ${duration(p.ackSeconds!.p90)}, ${p.pages} pages</title></circle>`).join('')}
  <text x="${pad.left}" y="${height - 8}" font-size="11" fill="#555">${new Date(t0).toISOString().slice(0, 10)}</text>
  <text x="${width - pad.right}" y="${height - 8}" font-size="11" fill="#555" text-anchor="end">${new Date(t1).toISOString().slice(0, 10)}</text>
  <text x="${pad.left + 8}" y="${height - pad.bottom - 6}" font-size="11"><tspan fill="#1d4ed8">p50</tspan> <tspan fill="#dc2626">p90</tspan> <tspan fill="#fca5a5">p95</tspan></text>
</svg>`;
  // Every value in it is a number, a date or a stage name from the rules' fixed set.
  return raw(svg);
}
