// Reads a rules directory from disk: every `.rules` file below it, and the git commit it is at.
// The only part of the rules language that does I/O.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { compileSources, type CompileOptions, type CompileResult, type SourceFile } from './compiler/compile.js';

export function readRulesDirectory(dir: string): SourceFile[] {
  const files: SourceFile[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(d, entry.name);
      if (entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules') walk(full);
      else if (entry.isFile() && entry.name.endsWith('.rules')) {
        files.push({ path: full, text: readFileSync(full, 'utf8'), hashPath: relative(dir, full).split(sep).join('/') });
      }
    }
  };
  if (!statSync(dir).isDirectory()) throw new Error(`${dir} is not a directory`);
  walk(dir);
  return files;
}

/** The commit of the work tree holding `dir`, and whether the rules differ from it; nulls outside git. */
export function gitState(dir: string): { gitCommit: string | null; gitDirty: boolean } {
  try {
    const run = (args: string[]): string => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const commit = run(['rev-parse', 'HEAD']);
    const dirty = run(['status', '--porcelain', '--', '.']) !== '';
    return { gitCommit: commit, gitDirty: dirty };
  } catch {
    return { gitCommit: null, gitDirty: false };
  }
}

export function compileRulesDirectory(dir: string, options: Omit<CompileOptions, 'gitCommit' | 'gitDirty'> = {}): CompileResult {
  const files = readRulesDirectory(dir);
  return compileSources(files, { ...options, ...gitState(dir) });
}
