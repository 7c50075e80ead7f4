import { hostnamesIntersect } from './gateway';

describe('hostnamesIntersect (Gateway API: a wildcard label is a suffix match, any depth, never the bare domain)', () => {
  test.each([
    ['shop.example.com', 'shop.example.com', true],
    ['*.example.com', 'shop.example.com', true],
    ['shop.example.com', '*.example.com', true],
    ['*.example.com', 'a.b.example.com', true],
    ['*.example.com', '*.shop.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'shop.example.org', false],
    ['shop.example.com', 'www.example.com', false],
    ['*.example.com', 'badexample.com', false],
  ])('%s and %s: %s', (a, b, expected) => {
    expect(hostnamesIntersect(a, b)).toBe(expected);
  });
});
