import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diagramFiles } from '../../grammar/diagram.js';

describe('the committed grammar diagram', () => {
  it.each(diagramFiles().map(([path, content]) => [path.replace(/.*\/grammar\//, 'grammar/'), path, content] as const))(
    '%s is what the parser generates (run `npm run grammar:diagram` after changing the grammar)',
    (_, path, content) => {
      expect(readFileSync(path, 'utf8')).toBe(content);
    },
  );
});
