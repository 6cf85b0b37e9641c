import { describe, expect, it } from 'vitest';
import { codes, compile } from '../support/rules.js';

const safe = { sms: 'sms "Page {link}"', voice: 'voice "Page"', pager: 'pager "PAGE"', push: 'push "Page" / "{unit}"' } as const;

function withTemplate(channel: keyof typeof safe | 'detail', text: string, extra = ''): string {
  const templates = { ...safe, [channel]: text };
  return `workflow w {
  ${extra}
  route r when source = lab {
    notify provider via push, sms, voice, pager at 0m
    ${Object.values(templates).join('\n    ')}
  }
}`;
}

function phiErrors(text: string) {
  return compile(text).diagnostics.filter((d) => d.code === 'E113');
}

describe('the PHI flow check', () => {
  it.each(['sms', 'voice', 'pager'] as const)('refuses a PHI field placed directly in %s, naming field, channel and place', (channel) => {
    const text = withTemplate(channel, `${channel} "Result for {patient.mrn}"`);
    const errors = phiErrors(text);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toBe(`PHI field patient.mrn would go out in the ${channel} template of route r`);
    const { line, col, endCol } = errors[0]!.span;
    expect(text.split('\n')[line - 1]!.slice(col - 1, endCol)).toBe('{patient.mrn}');
  });

  it('refuses PHI in the lock-screen push title or body', () => {
    expect(phiErrors(withTemplate('push', 'push "{patient.name}" / "ok"'))).toHaveLength(1);
    expect(phiErrors(withTemplate('push', 'push "ok" / "{patient.name | upper}"'))[0]!.message).toContain('push (lock screen)');
  });

  it('follows a derived value through a chain of lets, even across workflow and route', () => {
    const text = `workflow w {
  let who = "{patient.name}"
  let label = "{who} in {unit}"
  route r when source = lab {
    notify provider via sms at 0m
    let line = "Page: {label | upper}"
    sms "{line} {link}"
  }
}`;
    const errors = phiErrors(text);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toBe('PHI field patient.name would go out in the sms template of route r through let line → label → who');
  });

  it('checks a workflow-level template once, where it is written', () => {
    const text = `workflow w {
  sms "{patient.mrn}"
  route a when source = lab { notify provider via sms at 0m }
  route b when source = radiology { notify provider via sms at 0m }
}`;
    const errors = phiErrors(text);
    expect(errors.map((e) => e.message)).toEqual(['PHI field patient.mrn would go out in the sms template of workflow w']);
  });

  it('lets the in-app detail view carry PHI', () => {
    const result = compile(withTemplate('detail', 'detail "{patient.name} {patient.mrn}"'));
    expect(codes(result.diagnostics)).not.toContain('E113');
    expect(result.ruleSet).not.toBeNull();
  });

  it('does not flag a non-PHI field or a let that holds none', () => {
    expect(phiErrors(withTemplate('sms', 'sms "{tag} {unit} {link}"', 'let tag = "{test | upper}"'))).toEqual([]);
  });
});
