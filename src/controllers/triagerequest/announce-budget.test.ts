import { AnnounceBudget } from './announce-budget';

describe('AnnounceBudget', () => {
  test('a burst, then one per interval; waiting says how long', () => {
    const budget = new AnnounceBudget(3, 60_000);
    expect([0, 1, 2].map(() => budget.take('a', 0))).toEqual([0, 0, 0]);
    expect(budget.take('a', 0)).toBe(60_000);
    expect(budget.take('a', 30_000)).toBe(30_000);
    expect(budget.take('a', 60_000)).toBe(0);
    expect(budget.take('b', 60_000)).toBe(0);
  });

  test('remembers a bounded number of requests', () => {
    const budget = new AnnounceBudget(1, 60_000, 2);
    budget.take('a', 0);
    budget.take('b', 0);
    budget.take('c', 0);
    // 'a' was forgotten: it gets a fresh burst rather than growing the map.
    expect(budget.take('a', 0)).toBe(0);
    expect(budget.take('c', 0)).toBe(60_000);
  });
});
