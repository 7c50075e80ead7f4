import { Envelope } from '../../src/crds/envelope';

type StableEnvelope = Omit<Envelope, 'timing'>;

/**
 * What must hold for any envelope, whatever the case: the schema, anchors cited and present,
 * no repeated citation or finding, completeness that adds up, a verdict that agrees with the root cause.
 */
export function envelopeProblems(verdict: string | undefined, envelope: StableEnvelope): string[] {
  const problems: string[] = [];
  const parsed = Envelope.omit({ timing: true }).safeParse(envelope);
  if (!parsed.success) problems.push(`schema: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);

  const listed = new Set(envelope.anchors.map((a) => a.id));
  if (listed.size !== envelope.anchors.length) problems.push('an anchor id is listed twice');
  const citers = [
    ...(envelope.rootCause === undefined ? [] : [{ who: `rootCause ${envelope.rootCause.code}`, anchors: envelope.rootCause.anchors }]),
    ...envelope.findings.map((f) => ({ who: `finding ${f.code} ${f.object.kind}/${f.object.name}`, anchors: f.anchors })),
  ];
  const cited = new Set<string>();
  for (const { who, anchors } of citers) {
    if (new Set(anchors).size !== anchors.length) problems.push(`${who} cites an anchor twice: ${anchors.join(',')}`);
    for (const id of anchors) {
      cited.add(id);
      if (!listed.has(id)) problems.push(`${who} cites ${id}, which is not in anchors`);
    }
  }
  for (const id of listed) if (!cited.has(id)) problems.push(`anchor ${id} is cited by nothing`);

  const findingKeys = envelope.findings.map((f) => `${f.code}|${f.object.kind}/${f.object.namespace ?? ''}/${f.object.name}|${f.message}`);
  if (new Set(findingKeys).size !== findingKeys.length) problems.push('a finding is listed twice');

  const { present, missing, unavailable, completeness } = envelope.evidence;
  const required = present.length + missing.length + unavailable.length;
  // An API that is not installed counts as known: nothing of that kind can exist to be read.
  const known = present.length + unavailable.filter((u) => u.reason === 'NotInstalled').length;
  const expected = required === 0 ? 0 : Math.round((known / required) * 100) / 100;
  if (completeness !== expected) problems.push(`completeness ${completeness} is not known/required = ${known}/${required}`);
  const keys = [...present, ...missing, ...unavailable.map((u) => u.key)];
  if (new Set(keys).size !== keys.length) problems.push('an evidence key is both present, missing or unavailable');

  if (verdict === 'RootCauseFound' && envelope.rootCause === undefined) problems.push('RootCauseFound without a root cause');
  if (envelope.rootCause !== undefined && envelope.rootCause.anchors.length === 0 && verdict === 'RootCauseFound')
    problems.push('a root cause that cites no evidence');
  const commands = envelope.nextActions.map((a) => a.command);
  if (new Set(commands).size !== commands.length) problems.push('a next action is listed twice');
  if (envelope.bounds.stepsUsed > envelope.bounds.maxSteps) problems.push(`stepsUsed ${envelope.bounds.stepsUsed} over maxSteps ${envelope.bounds.maxSteps}`);
  return problems;
}
