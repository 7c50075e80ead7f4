import fs from 'node:fs';
import type { ScriptResult } from './scripts';

// Terminal transcripts in the docs, produced by the e2e tests that run the commands: a doc block is
// compared with what the command prints today (moving parts masked), so the docs cannot go stale.
// UPDATE_TRANSCRIPTS=1 rewrites the blocks; review the diff like any golden file.

interface Transcript {
  readonly command: string;
  readonly text: string;
}

const recorded = new Map<string, Transcript>();

/** Keeps what a command printed (progress on stderr first, as a terminal interleaves it, then stdout and the exit status). */
export function recordTranscript(id: string, command: string, result: ScriptResult): void {
  const text = `$ ${command}\n${result.stderr}${result.stdout}${result.stdout.endsWith('\n') || result.stdout === '' ? '' : '\n'}$ echo $?\n${result.code}\n`;
  recorded.set(id, { command, text });
}

/** What differs between two runs of the same command: timings, Event counts, generated names, ages, dates. */
function mask(text: string): string {
  return (
    text
      .replace(/\b\d+ ms\b/g, 'N ms')
      // Other test files add and remove nodes and objects meanwhile: the scheduler's counts and a dump's size move.
      .replace(/^.*(nodes are available|^Read \d+ objects).*$/gm, (line) => line.replace(/\d+/g, 'N'))
      .replace(/ x\d+:/g, ' xN:')
      .replace(/-[bcdfghjklmnpqrstvwxz2456789]{5}\b/g, '-xxxxx')
      .replace(/\b\d+[smhd]$/gm, 'AGE')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, 'TIME')
      .replace(/ +$/gm, '')
  );
}

/** The first line that differs, for the failure message. */
function firstDifference(documented: string, printed: string): string {
  const [a, b] = [documented.split('\n'), printed.split('\n')];
  const index = a.findIndex((line, i) => line !== b[i]);
  const at = index < 0 ? a.length : index;
  return `line ${at + 1}: documented ${JSON.stringify(a[at] ?? '')}, printed ${JSON.stringify(b[at] ?? '')}`;
}

const block = (id: string) => new RegExp(`(<!-- transcript:${id} -->\\n\`\`\`console\\n)([\\s\\S]*?)(\`\`\`\\n<!-- /transcript -->)`);

/** Checks (or, with UPDATE_TRANSCRIPTS=1, rewrites) every transcript block of `file` against the recorded runs. */
export function verifyTranscripts(file: string, replacements: Readonly<Record<string, string>>): void {
  let doc = fs.readFileSync(file, 'utf8');
  const ids = [...doc.matchAll(/<!-- transcript:([\w-]+) -->/g)].map((m) => m[1] ?? '');
  const missing = ids.filter((id) => !recorded.has(id));
  if (missing.length > 0) throw new Error(`${file}: no run recorded for transcript(s) ${missing.join(', ')} (did their tests fail?)`);
  const stale: string[] = [];
  for (const id of ids) {
    let text = recorded.get(id)?.text ?? '';
    for (const [from, to] of Object.entries(replacements)) text = text.replaceAll(from, to);
    const current = block(id).exec(doc)?.[2] ?? '';
    if (mask(current) === mask(text)) continue;
    stale.push(`${id} (${firstDifference(mask(current), mask(text))})`);
    // Only a block whose content changed is rewritten: timings alone do not churn the docs.
    doc = doc.replace(block(id), (_all, open: string, _old: string, close: string) => `${open}${text}${close}`);
  }
  if (process.env.UPDATE_TRANSCRIPTS === '1') fs.writeFileSync(file, doc);
  else if (stale.length > 0) {
    throw new Error(`${file}: transcript(s) ${stale.join('; ')} differ from what the commands print now; run with UPDATE_TRANSCRIPTS=1 and review the diff`);
  }
}
