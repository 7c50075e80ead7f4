import { formatQuantity, parseQuantity } from './quantity';

describe('parseQuantity', () => {
  test.each([
    ['100m', 0.1],
    ['2', 2],
    ['1.5', 1.5],
    ['1Gi', 2 ** 30],
    ['512Mi', 512 * 2 ** 20],
    ['1k', 1000],
    ['2e3', 2000],
    ['1M', 1e6],
  ])('%s = %d', (text, expected) => {
    expect(parseQuantity(text)).toBeCloseTo(expected);
  });

  test.each(['', 'abc', '1Zi', '1..2'])('rejects %j', (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });
});

describe('formatQuantity', () => {
  test.each([
    ['cpu', 0.25, '250m'],
    ['cpu', 4, '4'],
    ['memory', 2 ** 30 * 1.5, '1.5Gi'],
    ['memory', 2 ** 20 * 256, '256Mi'],
    ['pods', 3, '3'],
  ])('%s %d → %s', (resource, value, expected) => {
    expect(formatQuantity(resource, value)).toBe(expected);
  });
});
