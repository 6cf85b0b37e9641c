// What a page says: every placeholder resolves, lets do not go in circles, every channel a
// ladder uses has a template, and no PHI reaches a channel that is not cleared for it.
import type * as A from '../ast.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import { builtinNames, phiClearance, type ChannelKind } from '../ruleset.js';
import { defaultChannels } from '../ruleset.js';
import { targetKind } from './check-workflows.js';
import type { Scope, ScopedRoute } from './scope.js';
import { expandTemplate, letEnv, templatesByChannel, templateTexts, type LetEnv } from './templates.js';

export function checkTemplates(scope: Scope, diagnostics: Diagnostic[]): void {
  const workflowEnvs = new Map<string, { env: LetEnv; templates: Map<A.TemplateChannel, A.TemplateDecl> }>();
  for (const workflow of scope.workflows.values()) {
    const env = checkLets(workflow.lets, null, scope, diagnostics);
    const templates = templatesByChannel(workflow.templates, diagnostics);
    for (const t of templates.values()) checkPhi(t, env, `workflow ${workflow.name.name}`, scope, diagnostics);
    workflowEnvs.set(workflow.name.name, { env, templates });
  }
  for (const route of scope.routes) {
    const outer = workflowEnvs.get(route.workflow.name.name);
    const env = checkLets(route.decl.lets, outer?.env ?? null, scope, diagnostics);
    const templates = templatesByChannel(route.decl.templates, diagnostics);
    for (const t of templates.values()) checkPhi(t, env, `route ${route.name}`, scope, diagnostics);
    for (const channel of channelsUsed(route, scope)) {
      if (templates.has(channel) || outer?.templates.has(channel) === true) continue;
      diagnostics.push(
        diagnostic(
          'E114',
          route.decl.name?.span ?? route.decl.span,
          `route ${route.name} pages over ${channel}, but neither it nor workflow ${route.workflow.name.name} has ${channel === 'sms' ? 'an' : 'a'} ${channel} template`,
          channel === 'push' ? 'add: push "title" / "body"' : `add: ${channel} "… {link}"`,
        ),
      );
    }
  }
}

function checkLets(lets: readonly A.LetDecl[], parent: LetEnv | null, scope: Scope, diagnostics: Diagnostic[]): LetEnv {
  const seen = new Map<string, A.LetDecl>();
  for (const l of lets) {
    const name = l.name.name;
    if (seen.has(name)) diagnostics.push(diagnostic('E101', l.name.span, `let ${name} is declared twice here`));
    else if (scope.fields.has(name)) diagnostics.push(diagnostic('E101', l.name.span, `let ${name} has the name of an alert field`, 'choose another name'));
    else if ((builtinNames as readonly string[]).includes(name)) diagnostics.push(diagnostic('E101', l.name.span, `let ${name} has the name of a built-in value`, 'choose another name'));
    seen.set(name, l);
  }
  const env = letEnv(lets, parent);
  for (const l of lets) expandTemplate({ ...l.value, segments: [{ kind: 'ref', path: l.name.name, filters: [], span: l.name.span }] }, env, scope, diagnostics);
  return env;
}

function checkPhi(template: A.TemplateDecl, env: LetEnv, owner: string, scope: Scope, diagnostics: Diagnostic[]): void {
  const cleared = phiClearance[template.channel];
  const place = template.channel === 'push' ? 'push (lock screen)' : template.channel;
  for (const text of templateTexts(template)) {
    const { phi } = expandTemplate(text, env, scope, diagnostics);
    if (cleared) continue;
    for (const flow of phi) {
      const path = flow.via.length === 0 ? '' : ` through let ${flow.via.join(' → ')}`;
      diagnostics.push(
        diagnostic(
          'E113',
          flow.span,
          `PHI field ${flow.field} would go out in the ${place} template of ${owner}${path}`,
          `${place} is not cleared for PHI; put patient details in the detail template (shown in the app after sign-in) and send {link}`,
        ),
      );
    }
  }
}

/** Every channel a route's ladder and fallback can page over. */
export function channelsUsed(route: ScopedRoute, scope: Scope): Set<ChannelKind> {
  const used = new Set<ChannelKind>();
  const add = (targetName: string, channels: readonly A.Named[] | null): void => {
    const kind = targetKind(targetName, scope);
    if (kind === undefined) return;
    const names = channels === null ? defaultChannels(kind) : channels.map((c) => c.name);
    for (const c of names) if (c === 'push' || c === 'sms' || c === 'voice' || c === 'pager') used.add(c);
  };
  for (const step of route.decl.steps) for (const t of step.targets) add(t.name, step.channels);
  const fallback = route.decl.fallback ?? route.workflow.fallback;
  if (fallback !== null) add(fallback.target.name, fallback.channels);
  return used;
}
