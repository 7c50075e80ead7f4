import { compileLinear, matchesLinear, MATCH_TEXT_LIMIT, UnsafePatternError } from './linear-regex';
import { compileTemplate, TemplateError } from './templates';

describe('user-written patterns run in linear time', () => {
  // With a backtracking engine each of these takes seconds to minutes on the text below (33.6 s measured
  // for the first on 27 characters): the test would time out rather than pass.
  test.each(['(a+)+$', String.raw`^(\w+\s?)+$`, '(a|aa)+$', '(.*a){1,12}$'])('%s on a hostile message', (pattern) => {
    const regex = compileLinear(pattern);
    expect(matchesLinear(regex, `${'a'.repeat(27)}!`)).toBe(false);
    expect(matchesLinear(regex, `${'a'.repeat(MATCH_TEXT_LIMIT - 1)}!`)).toBe(false);
    expect(matchesLinear(regex, 'a'.repeat(MATCH_TEXT_LIMIT * 64))).toBe(true);
  });

  test.each([
    [String.raw`(a)\1`, 'linear time'],
    ['(?<=a)b', 'linear time'],
    ['a(?!b)', 'linear time'],
    ['(', 'Unterminated group'],
  ])('%s is refused with the reason', (pattern, reason) => {
    expect(() => compileLinear(pattern)).toThrow(UnsafePatternError);
    expect(() => compileLinear(pattern)).toThrow(expect.objectContaining({ reason: expect.stringContaining(reason) as unknown }) as Error);
  });

  test('only the first KiB of a message is matched', () => {
    expect(matchesLinear(compileLinear('needle'), `${'x'.repeat(MATCH_TEXT_LIMIT)}needle`)).toBe(false);
    expect(matchesLinear(compileLinear('needle'), `${'x'.repeat(MATCH_TEXT_LIMIT - 6)}needle`)).toBe(true);
  });
});

describe('templates reject what they cannot run', () => {
  const base = { targetKinds: ['Pod'], steps: [{ name: 'pod', checks: ['pod.crashloop'] }] };

  test('a matcher pattern that needs backtracking names the field', () => {
    const spec = { ...base, matchers: [{ event: { messageRegex: String.raw`(\w+)\s\1` }, finding: { code: 'Repeated', severity: 'Warning', message: 'm' } }] };
    expect(() => compileTemplate('backref.example.com', spec)).toThrow(TemplateError);
    expect(() => compileTemplate('backref.example.com', spec)).toThrow(/spec\.matchers\[0\]\.event\.messageRegex: cannot be matched in linear time/);
  });

  test('a super-linear pattern is accepted: the linear engine runs it safely', () => {
    const spec = { ...base, matchers: [{ event: { messageRegex: '(a+)+$' }, finding: { code: 'Aaa', severity: 'Warning', message: 'm' } }] };
    expect(compileTemplate('nested.example.com', spec).steps[0]?.checks).toHaveLength(2);
  });

  test('collectors are refused instead of ignored', () => {
    const spec = { ...base, steps: [{ name: 'pod', collectors: ['events'], checks: ['pod.crashloop'] }] };
    expect(() => compileTemplate('collect.example.com', spec)).toThrow(/spec\.steps\.0\.collectors|spec\.steps\[0\]\.collectors/);
    // The empty list the old CRD defaulted on every step asks for nothing: still accepted.
    expect(() => compileTemplate('collect-none.example.com', { ...base, steps: [{ name: 'pod', collectors: [], checks: ['pod.crashloop'] }] })).not.toThrow();
  });
});
