const SUFFIX: Readonly<Record<string, number>> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes quantity ("100m", "1.5Gi", "2e3") as a number; undefined when it is not one. */
export function parseQuantity(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)([a-zA-Z]{0,2})$/.exec(text.trim());
  if (match === null) return undefined;
  const multiplier = SUFFIX[match[2] ?? ''];
  return multiplier === undefined ? undefined : Number(match[1]) * multiplier;
}

/** Human form for messages: cpu in cores or millicores, bytes in Gi/Mi, others plain. */
export function formatQuantity(resource: string, value: number): string {
  if (resource === 'cpu') return value < 1 ? `${Math.round(value * 1000)}m` : `${Math.round(value * 1000) / 1000}`;
  if (resource === 'memory' || resource === 'ephemeral-storage') {
    if (value >= 2 ** 30) return `${Math.round((value / 2 ** 30) * 10) / 10}Gi`;
    return `${Math.round((value / 2 ** 20) * 10) / 10}Mi`;
  }
  return `${Math.round(value * 1000) / 1000}`;
}
