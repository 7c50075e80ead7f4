import { listKey, nameKey, subjectKey, uidKey } from '../../triage/investigation';
import { changedKeys, WatchIndex } from './watch-index';

describe('changedKeys', () => {
  test('an object touches its uid, its name, its lists and its index values', () => {
    const pod = { metadata: { name: 'web-0', namespace: 'shop', uid: 'u1' }, spec: { nodeName: 'n1' } };
    const keys = changedKeys('Pod', pod);
    expect(keys).toEqual(
      expect.arrayContaining([uidKey('u1'), nameKey('Pod', 'shop', 'web-0'), listKey('Pod', 'shop'), listKey('Pod', ''), 'index:Pod/node/n1']),
    );
  });

  test("an Event touches the Events of its subject, in either API's shape", () => {
    expect(changedKeys('Event', { metadata: { name: 'e', namespace: 'shop', uid: 'e1' }, involvedObject: { uid: 'pvc-1' } } as never)).toContain(
      subjectKey('pvc-1'),
    );
    expect(changedKeys('Event', { metadata: { name: 'e', namespace: 'shop', uid: 'e1' }, regarding: { uid: 'pvc-1' } } as never)).toContain(
      subjectKey('pvc-1'),
    );
  });

  test('creating an object that was looked up and absent touches the looked-up name', () => {
    expect(changedKeys('StorageClass', { metadata: { name: 'fast-ssd', uid: 'sc-1' } })).toContain(nameKey('StorageClass', '', 'fast-ssd'));
  });
});

describe('WatchIndex', () => {
  test('finds the requests that read a key, and forgets replaced reads', () => {
    const index = new WatchIndex();
    index.set('shop/a', [uidKey('u1'), nameKey('StorageClass', '', 'fast')]);
    index.set('shop/b', [uidKey('u2')]);
    expect([...index.requestsFor([uidKey('u1')])]).toEqual(['shop/a']);
    expect([...index.requestsFor([uidKey('u3')])]).toEqual([]);
    index.set('shop/a', [uidKey('u2')]);
    expect([...index.requestsFor([nameKey('StorageClass', '', 'fast')])]).toEqual([]);
    expect([...index.requestsFor([uidKey('u2')])].sort()).toEqual(['shop/a', 'shop/b']);
    index.remove('shop/b');
    expect(index.size()).toBe(1);
  });
});

describe('changes while a run is in flight', () => {
  test('a change to something the run read, seen while it ran, runs it again; other changes do not', () => {
    const index = new WatchIndex();
    index.begin('shop/r');
    expect(index.watching()).toBe(true);
    index.observe(['name:Pod/shop/web-0', 'list:Pod/shop']);
    expect(index.finish('shop/r', ['name:Pod/shop/web-0'])).toBe(true);
    index.begin('shop/r');
    index.observe(['name:Pod/shop/other']);
    expect(index.finish('shop/r', ['name:Pod/shop/web-0'])).toBe(false);
    expect(index.watching()).toBe(false);
  });

  test('changes before the run began, or after it finished, are not kept for it', () => {
    const index = new WatchIndex();
    index.observe(['name:Pod/shop/web-0']);
    index.begin('shop/r');
    expect(index.finish('shop/r', ['name:Pod/shop/web-0'])).toBe(false);
    index.observe(['name:Pod/shop/web-0']);
    expect(index.finish('shop/r', ['name:Pod/shop/web-0'])).toBe(false);
  });

  test('past 10,000 changed keys a run is simply run again (bounded memory)', () => {
    const index = new WatchIndex();
    index.begin('shop/r');
    for (let i = 0; i <= 10_000; i++) index.observe([`name:Pod/shop/p-${String(i)}`]);
    expect(index.finish('shop/r', ['name:Pod/shop/unrelated'])).toBe(true);
  });
});
