/**
 * Keeps every ../shared path inside tests/helpers/fixtures.ts: scans tests/, bench/ and scripts/ (TypeScript and
 * JavaScript; the Python reference generators are run by hand and read WEBIFT_SHARED themselves) for string literals
 * that spell a ../shared path ('../shared', 'shared/data', 'shared/fixtures', a bare 'shared' segment; a literal with
 * spaces is prose, not a path) or read WEBIFT_SHARED, and fails naming file and line. Comments and test names may
 * mention ../shared.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HELPER = 'tests/helpers/fixtures.ts';
const SCANNED = ['tests', 'bench', 'scripts'];
const CODE = /\.(ts|tsx|js|mjs|cjs)$/;
/** One string literal on one line ('...', "...", or a template on one line). */
const LITERAL = /'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\\n]|\\.)*`/g;
const SHARED_PATH = /\.\.[\\/]shared\b|\bshared[\\/](data|fixtures)\b|^.shared.$/;
/** Reading the override itself is the helper's job too. */
const SHARED_ENV = /\benv\.WEBIFT_SHARED\b|\[['"]WEBIFT_SHARED['"]\]/;

/** Where `text` spells a ../shared path in a string literal: "file:line: the literal" for each. */
export function sharedPathLiterals(file: string, text: string): string[] {
  const hits: string[] = [];
  text.split('\n').forEach((line, i) => {
    const code = line.replace(/^\s*(\/\/|\*|\/\*).*$/, ''); // whole-line comments
    for (const lit of code.match(LITERAL) ?? []) if (!/\s/.test(lit) && SHARED_PATH.test(lit)) hits.push(`${file}:${i + 1}: ${lit}`);
    if (SHARED_ENV.test(code)) hits.push(`${file}:${i + 1}: ${code.trim()}`);
  });
  return hits;
}

function walk(rel: string, out: string[]): void {
  for (const name of readdirSync(path.join(ROOT, rel))) {
    const p = `${rel}/${name}`;
    if (statSync(path.join(ROOT, p)).isDirectory()) walk(p, out);
    else if (CODE.test(name)) out.push(p);
  }
}

describe('../shared is reached only through tests/helpers/fixtures.ts', () => {
  it('no test, bench or script spells a ../shared path', () => {
    const files: string[] = [];
    for (const dir of SCANNED) walk(dir, files);
    expect(files).toContain(HELPER);
    expect(files.length).toBeGreaterThan(50);
    const hits = files.filter((f) => f !== HELPER).flatMap((f) => sharedPathLiterals(f, readFileSync(path.join(ROOT, f), 'utf8')));
    expect(hits, 'use sharedPath() / haveShared() from tests/helpers/fixtures.ts instead').toEqual([]);
  });

  it('the scan finds the spellings it is meant to find, and skips comments and look-alikes', () => {
    const src = [
      "const a = readFileSync('../shared/data/x.json');", // 1
      'const b = path.join(root, "../shared");', // 2
      'const c = `${ROOT}/shared/fixtures/hf-reference`;', // 3
      "const d = path.resolve(root, '..', 'shared');", // 4
      "const e = path.join(S, 'shared/data/eval');", // 5
      '// a comment about ../shared/data is fine', // 6
      " * and so is '../shared/data' in a doc comment", // 7
      "const f = 'SharedArrayBuffer'; const g = 'shared-contract'; const h = 'unshared';", // 8
      "describe('parseRecords on ../shared/data', () => {", // 9: prose with spaces, not a path
      'const i = process.env.' + 'WEBIFT_SHARED ?? root;', // 10 (split so that this file does not trip its own scan)
    ].join('\n');
    expect(sharedPathLiterals('x.ts', src).map((h) => h.split(':')[1])).toEqual(['1', '2', '3', '4', '5', '10']);
    expect(sharedPathLiterals(HELPER, readFileSync(path.join(ROOT, HELPER), 'utf8')).length).toBeGreaterThan(0);
  });
});
