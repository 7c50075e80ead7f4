import { microTime } from './micro-time';

describe('microTime', () => {
  test('pads milliseconds to six fractional digits', () => {
    expect(microTime(new Date(Date.UTC(2026, 10, 21, 15, 4, 5, 7)))).toBe('2026-11-21T15:04:05.007000Z');
  });

  test('keeps whole seconds explicit', () => {
    expect(microTime(new Date(Date.UTC(2026, 0, 1)))).toBe('2026-01-01T00:00:00.000000Z');
  });
});
