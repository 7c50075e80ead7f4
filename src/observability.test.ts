import { readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { Metrics } from './metrics';

// The chart's alerting rules and Grafana dashboard may name only metrics the operator exports: a renamed
// metric must fail here, not as a silent empty panel or an alert that can never fire.

const FILES = path.join(__dirname, '..', 'charts', 'triage-operator', 'files');

/** Prometheus's own series, never exported by a target. */
const PROMETHEUS_SERIES: ReadonlySet<string> = new Set(['up']);
const KEYWORDS: ReadonlySet<string> = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);

/** The metric names a PromQL expression selects (Grafana variables allowed), without functions, keywords or labels. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/\$\{\w+(?::\w+)?\}|\$\w+/g, ' ') // Grafana variables: $job, ${datasource}, $__rate_interval
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // string literals, which may hold braces
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // range and subquery selectors
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' '); // label lists
  const names = new Set<string>();
  for (const match of bare.matchAll(/(?<![\w.:])[a-zA-Z_:][\w:]*/g)) {
    const name = match[0];
    const after = bare.slice(match.index + name.length);
    if (/^\s*\(/.test(after) || KEYWORDS.has(name.toLowerCase())) continue; // a function or aggregation
    names.add(name);
  }
  return [...names];
}

/** Every series name the operator's registry exposes; a histogram as its _bucket, _sum and _count. */
async function exportedNames(): Promise<Set<string>> {
  const metrics = new Metrics();
  const names = new Set<string>();
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    // prom-client's typings declare a numeric enum; at run time the type is the exposition's word.
    const type = metric.type as unknown as string;
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
    else if (type === 'summary') for (const suffix of ['', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
    else names.add(metric.name);
  }
  return names;
}

/** `where: metric` for every metric an expression names that is neither exported nor Prometheus's own. */
function unknownMetrics(exprs: readonly { where: string; expr: string }[], exported: ReadonlySet<string>): string[] {
  return exprs.flatMap(({ where, expr }) =>
    metricNames(expr)
      .filter((name) => !exported.has(name) && !PROMETHEUS_SERIES.has(name))
      .map((name) => `${where}: ${name}`),
  );
}

interface Rule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

function loadRules(): Rule[] {
  const document = yaml.load(readFileSync(path.join(FILES, 'prometheus-rules.yaml'), 'utf8')) as { groups?: { name: string; rules: Rule[] }[] };
  if (!Array.isArray(document.groups)) throw new Error('prometheus-rules.yaml has no groups:');
  return document.groups.flatMap((group) => group.rules);
}

interface Target {
  readonly expr?: string;
  readonly datasource?: { type?: string; uid?: string };
}
interface Panel {
  readonly id?: number;
  readonly type: string;
  readonly title?: string;
  readonly datasource?: { type?: string; uid?: string };
  readonly targets?: Target[];
  readonly panels?: Panel[];
}
interface Variable {
  readonly name: string;
  readonly type: string;
  readonly query?: string | { query?: string };
}
interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly schemaVersion: number;
  readonly panels: Panel[];
  readonly templating: { list: Variable[] };
}

function loadDashboard(): Dashboard {
  return JSON.parse(readFileSync(path.join(FILES, 'dashboard.json'), 'utf8')) as Dashboard;
}

/** Every panel, rows' nested panels included. */
function allPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

function dashboardExprs(dashboard: Dashboard): { where: string; expr: string }[] {
  const fromPanels = allPanels(dashboard.panels).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title ?? String(panel.id)}"`, expr: target.expr ?? '' })),
  );
  // A query variable's label_values(metric{...}, label) names a metric too.
  const fromVariables = dashboard.templating.list.flatMap((variable) => {
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    const selector = query === undefined ? undefined : /^label_values\((.*),\s*\w+\)$/.exec(query)?.[1];
    return selector === undefined ? [] : [{ where: `variable $${variable.name}`, expr: selector }];
  });
  return [...fromPanels, ...fromVariables];
}

describe('metricNames', () => {
  test.each([
    ['sum by (le) (rate(a_bucket{job=~"$job", code=~"4..|5.."}[$__rate_interval]))', ['a_bucket']],
    ['time() - min by (namespace, intent) (b_seconds{mode="Continuous"}) > 3600', ['b_seconds']],
    ['absent(up{job=~".*x.*"} == 1)', ['up']],
    ['count(c == 0) or vector(0)', ['c']],
    ['sum(rate(d_sum[5m])) / sum(rate(d_count[5m] offset 1h))', ['d_sum', 'd_count']],
    ['e * on (pod) group_left (node) f', ['e', 'f']],
    ['histogram_quantile(0.99, sum by (name, le) (rate(g_bucket{a="}"}[1m]))) > 1e3', ['g_bucket']],
  ])('%s', (expr, names) => {
    expect(metricNames(expr)).toEqual(names);
  });
});

describe('prometheus-rules.yaml', () => {
  const rules = loadRules();

  test('names only metrics the operator exports', async () => {
    const exprs = rules.map((rule) => ({ where: rule.alert ?? rule.record ?? '?', expr: rule.expr }));
    expect(exprs.every(({ expr }) => metricNames(expr).length > 0)).toBe(true);
    expect(unknownMetrics(exprs, await exportedNames())).toEqual([]);
  });

  test('has the alerts the chart documents', () => {
    expect(rules.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining([
        'TriageOperatorDown',
        'TriageOperatorNoLeader',
        'TriageOperatorCachesNotSynced',
        'TriageOperatorReconcileErrors',
        'TriageRootCauseUnresolved',
      ]),
    );
  });

  test.each(
    loadRules()
      .filter((rule) => rule.alert !== undefined)
      .map((rule) => [rule.alert ?? '', rule] as const),
  )('%s has a severity, a summary, a description and a for', (_alert, rule) => {
    expect(['critical', 'warning', 'info']).toContain(rule.labels?.severity);
    expect(rule.annotations?.summary?.trim()).toBeTruthy();
    expect(rule.annotations?.description?.trim()).toBeTruthy();
    expect(rule.for).toMatch(/^\d+[smh]$/);
  });

  test("selects the operator's job in every expression (other controllers export the same names)", () => {
    for (const rule of rules) expect(rule.expr).toContain('job=~".*triage-operator.*"');
  });
});

describe('dashboard.json', () => {
  const dashboard = loadDashboard();

  test('names only metrics the operator exports', async () => {
    const exprs = dashboardExprs(dashboard);
    expect(exprs.length).toBeGreaterThan(20);
    expect(exprs.every(({ expr }) => metricNames(expr).length > 0)).toBe(true);
    expect(unknownMetrics(exprs, await exportedNames())).toEqual([]);
  });

  test('the check fails on a panel that names a metric the operator does not export', async () => {
    const broken: Dashboard = {
      ...dashboard,
      panels: [
        ...dashboard.panels,
        { type: 'row', panels: [{ id: 999, type: 'timeseries', title: 'Typo', targets: [{ expr: 'sum(rate(controller_runtime_reconcile_totals[5m]))' }] }] },
      ],
    };
    expect(unknownMetrics(dashboardExprs(broken), await exportedNames())).toEqual(['panel "Typo": controller_runtime_reconcile_totals']);
  });

  test('is importable: uid, schema version, a Prometheus datasource variable every query uses, unique panel ids', () => {
    expect(dashboard.uid).toBe('triage-operator');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.templating.list).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' })]),
    );
    const panels = allPanels(dashboard.panels);
    const ids = panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const target of panel.targets ?? []) {
        expect(target.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
        expect(target.expr).toContain('job=~"$job"');
      }
    }
  });

  test('has the panels issue 11 asks for', () => {
    const exprs = dashboardExprs(dashboard)
      .map(({ expr }) => expr)
      .join('\n');
    for (const name of [
      'triage_requests',
      'triage_request_oldest_root_cause_timestamp_seconds',
      'controller_runtime_reconcile_total',
      'controller_runtime_reconcile_errors_total',
      'controller_runtime_reconcile_time_seconds_bucket',
      'workqueue_depth',
      'informer_synced',
      'informer_objects',
      'leader_election_master_status',
      'triage_events_total',
      'triage_status_writes_total',
    ]) {
      expect(exprs).toContain(name);
    }
  });
});
