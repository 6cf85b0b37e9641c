// The grammar's railroad diagram and serialized form, generated from the parser itself so the
// committed copies can be checked against it.
import { createSyntaxDiagramsCode } from 'chevrotain';
import { fileURLToPath } from 'node:url';
import { rulesParser } from './parser.js';

const here = (name: string): string => fileURLToPath(new URL(`./diagram/${name}`, import.meta.url));

/** [path, content] for grammar/diagram/grammar.json and railroad.html. */
export function diagramFiles(): [string, string][] {
  const productions = rulesParser.getSerializedGastProductions();
  return [
    [here('grammar.json'), `${JSON.stringify(productions, null, 2)}\n`],
    [here('railroad.html'), createSyntaxDiagramsCode(productions)],
  ];
}
