import fs from 'node:fs';
import path from 'node:path';
import { CHECKS } from './registry';

// The README's code table is the catalogue users read: every code a check can report is in it, and
// nothing in it is a code no check reports.
const readme = fs.readFileSync(path.join(__dirname, '../../../README.md'), 'utf8');
const section = /^## Root-cause codes\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
const documented = new Set([...section.matchAll(/`([A-Z][A-Za-z]+)`/g)].map((m) => m[1] ?? ''));
const registered = new Set([...CHECKS.values()].flatMap((check) => check.codes));

describe("README's root-cause codes", () => {
  test('the section exists', () => {
    expect(section).toMatch(/\| intent \| codes \|/);
  });

  test('documents every code a built-in check reports', () => {
    expect([...registered].filter((code) => !documented.has(code)).sort()).toEqual([]);
  });

  test('documents no code that no check reports', () => {
    expect([...documented].filter((code) => !registered.has(code)).sort()).toEqual([]);
  });
});
