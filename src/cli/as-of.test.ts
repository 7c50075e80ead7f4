import { MemorySnapshot } from '../triage/memory-snapshot';
import { dumpTakenAt } from './as-of';

const pod = (extra: object) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'shop', creationTimestamp: '2026-12-01T10:00:00Z' },
  ...extra,
});

describe('when a dump was taken', () => {
  test('its newest state timestamp: conditions and Events count', () => {
    const snapshot = new MemorySnapshot([
      pod({ status: { conditions: [{ type: 'PodScheduled', lastTransitionTime: '2026-12-01T10:05:00Z' }] } }),
      { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', namespace: 'shop' }, lastTimestamp: '2026-12-01T10:07:30Z' } as object,
    ]);
    expect(dumpTakenAt(snapshot)?.toISOString()).toBe('2026-12-01T10:07:30.000Z');
  });

  test('user-written annotations, labels, a scheduled deletion and text that is not RFC 3339 do not move it', () => {
    const snapshot = new MemorySnapshot([
      pod({
        metadata: {
          name: 'p',
          namespace: 'shop',
          creationTimestamp: '2026-12-01T10:00:00Z',
          deletionTimestamp: '2026-12-01T10:10:00Z',
          annotations: { 'backup.example.com/expiresAt': '2099-01-01T00:00:00Z' },
        },
        status: { startTime: '99999' },
      }),
    ]);
    expect(dumpTakenAt(snapshot)?.toISOString()).toBe('2026-12-01T10:00:00.000Z');
  });

  test('shared subtrees (YAML aliases) are walked once: a small alias bomb ends at once', () => {
    let level: object = { finishedAt: '2026-12-01T11:00:00Z' };
    for (let i = 0; i < 8; i++) level = Object.fromEntries(Array.from({ length: 30 }, (_, k) => [`k${k}`, level]));
    expect(dumpTakenAt(new MemorySnapshot([pod({ spec: level })]))?.toISOString()).toBe('2026-12-01T10:00:00.000Z');
  });
});
