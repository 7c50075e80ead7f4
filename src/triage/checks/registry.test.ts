import { CATALOGUE, isCatalogued } from '../catalogue';
import { ENGINE_CODES } from '../engine';
import { CHECKS } from './registry';

// The catalogue (docs/codes.md is generated from it) and the checks agree: every code a built-in check
// declares is catalogued (the type system sees to that), and every catalogued code has a check (or the engine reports it).
describe('the root-cause catalogue and the built-in checks', () => {
  const declared = new Set([...[...CHECKS.values()].flatMap((check) => check.codes), ...ENGINE_CODES]);

  test('every catalogued code is declared by some check', () => {
    expect(
      Object.keys(CATALOGUE)
        .filter((code) => !declared.has(code as keyof typeof CATALOGUE))
        .sort(),
    ).toEqual([]);
  });

  test('every declared code is catalogued', () => {
    expect([...declared].filter((code) => !isCatalogued(code)).sort()).toEqual([]);
  });
});
