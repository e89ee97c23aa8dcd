import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { EvalQuestion } from './metrics.js';

/** Converts RealtimeQA 2022 (past/2022 of realtimeqa_public) into a corpus and a question set. */

export interface RtqaDoc {
  id: string;
  title: string;
  url: string;
  date?: string;
  outlet?: string;
  text: string;
}

interface RawResult {
  url?: string;
  title?: string;
  text?: string;
  publish_date?: string;
}
interface RawQa {
  question_id: string;
  question_sentence: string;
  choices: string[];
  answer: string[];
}

export const DEFAULT_RTQA_DIR = path.join('..', 'shared', 'corpus-raw', 'realtimeqa-2022', 'past', '2022');

export const docId = (url: string): string => `rtqa-${createHash('sha1').update(url).digest('hex').slice(0, 12)}`;

const normUrl = (url: string): string => url.trim().replace(/[?#].*$/, '').replace(/\/+$/, '');

function outletOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.replace(/^www\./, '');
  } catch {
    return undefined;
  }
}

/** "2022/06/12" → "2022-06-12". */
function isoDate(d: string | undefined): string | undefined {
  const m = d?.match(/^(\d{4})[/-](\d{2})[/-](\d{2})/);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : undefined;
}

/** Curly or straight quotes around a choice ("“Squid Game”") are not part of the answer text. */
export function answerVariants(choice: string): string[] {
  const bare = choice.trim().replace(/^["“”'‘’]+|["“”'‘’]+$/g, '').trim();
  return [...new Set([choice.trim(), bare].filter(Boolean))];
}

async function readJsonl<T>(file: string): Promise<T[]> {
  const text = await readFile(file, 'utf8');
  return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as T);
}

export interface RtqaSet {
  docs: RtqaDoc[];
  questions: EvalQuestion[];
  /** Questions dropped because no gold or retrieved document exists for them. */
  withoutDocuments: number;
  goldQuestions: number;
  /** Every document (gold or search result) the dataset gives each question, by question id. */
  documentsOf: Map<string, string[]>;
}

/**
 * Corpus = union of gold and GCS documents, deduplicated by URL (GCS supplies the title, gold only
 * has text); questions = every *_qa.jsonl question with at least one document, answer = choices[answer[0]],
 * articleIds = ids of its gold documents.
 */
export async function loadRealtimeQa(dir: string = DEFAULT_RTQA_DIR): Promise<RtqaSet> {
  const files = (await readdir(dir)).sort();
  const docs = new Map<string, RtqaDoc>();
  const docsOf = new Map<string, Set<string>>();
  const goldOf = new Map<string, Set<string>>();
  const add = (qid: string, r: RawResult, gold: boolean): void => {
    if (!r.url || !r.text?.trim()) return;
    const key = normUrl(r.url);
    const id = docId(key);
    const existing = docs.get(key);
    if (!existing) {
      const firstLine = r.text.trim().split('\n')[0]!.slice(0, 120);
      docs.set(key, { id, title: r.title?.trim() || firstLine, url: r.url, date: isoDate(r.publish_date), outlet: outletOf(r.url), text: r.text });
    } else {
      if (r.title?.trim() && existing.title === existing.text.trim().split('\n')[0]!.slice(0, 120)) existing.title = r.title.trim();
      existing.date ??= isoDate(r.publish_date);
    }
    const base = qid.replace(/_nota$/, '');
    (docsOf.get(base) ?? docsOf.set(base, new Set()).get(base)!).add(id);
    if (gold) (goldOf.get(base) ?? goldOf.set(base, new Set()).get(base)!).add(id);
  };
  for (const f of files.filter((f) => /_gcs\.jsonl$/.test(f))) {
    for (const row of await readJsonl<{ question_id: string; search_result?: RawResult[] }>(path.join(dir, f))) {
      for (const r of row.search_result ?? []) add(row.question_id, r, false);
    }
  }
  for (const f of files.filter((f) => /_gold\.jsonl$/.test(f))) {
    for (const row of await readJsonl<{ question_id: string; search_result?: RawResult[] }>(path.join(dir, f))) {
      for (const r of row.search_result ?? []) add(row.question_id, r, true);
    }
  }
  const questions: EvalQuestion[] = [];
  let withoutDocuments = 0;
  for (const f of files.filter((f) => /^\d{8}_qa\.jsonl$/.test(f))) {
    for (const q of await readJsonl<RawQa>(path.join(dir, f))) {
      const choice = q.choices[Number(q.answer[0])];
      if (!docsOf.get(q.question_id)?.size || choice === undefined) {
        withoutDocuments++;
        continue;
      }
      const week = weekOf(q.question_id);
      // The quiz's day: its "this week" counts back from it.
      const asOf = `${week.slice(0, 4)}-${week.slice(4, 6)}-${week.slice(6, 8)}`;
      questions.push({ id: q.question_id, question: q.question_sentence, answers: answerVariants(choice), articleIds: [...(goldOf.get(q.question_id) ?? [])], asOf });
    }
  }
  const documentsOf = new Map([...docsOf].map(([q, ids]) => [q, [...ids]]));
  return { docs: [...docs.values()], questions, withoutDocuments, goldQuestions: questions.filter((q) => q.articleIds!.length).length, documentsOf };
}

/** Every question sentence of the 2022 weekly files (for latency runs; no documents needed). */
export async function realtimeQaQuestionSentences(dir: string = DEFAULT_RTQA_DIR): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => /_qa(_nota)?\.jsonl$/.test(f)).sort();
  const out: string[] = [];
  for (const f of files) for (const q of await readJsonl<RawQa>(path.join(dir, f))) out.push(q.question_sentence);
  return out;
}

export type Split = 'train' | 'dev' | 'test';

/** Shares of the weeks, in date order, that train and dev take (the rest is test). */
export const WEEK_SHARES = { train: 0.6, dev: 0.2 } as const;

/** The week a question belongs to: its file's date, the prefix of its id ("20221014_3" → "20221014"). */
export const weekOf = (questionId: string): string => questionId.slice(0, 8);

/**
 * RealtimeQA split by week: the earliest 60 % of the weeks are train, the next 20 % dev, the last 20 %
 * test, so a model is always judged on news and quizzes later than any it learned from.
 */
export function weekSplits(questions: readonly EvalQuestion[]): Record<Split, EvalQuestion[]> {
  const weeks = [...new Set(questions.map((q) => weekOf(q.id)))].sort();
  const trainEnd = Math.round(weeks.length * WEEK_SHARES.train);
  const devEnd = trainEnd + Math.round(weeks.length * WEEK_SHARES.dev);
  const splitOf = new Map(weeks.map((w, i) => [w, (i < trainEnd ? 'train' : i < devEnd ? 'dev' : 'test') as Split]));
  const out: Record<Split, EvalQuestion[]> = { train: [], dev: [], test: [] };
  for (const q of questions) out[splitOf.get(weekOf(q.id))!].push(q);
  return out;
}

/**
 * Writes the set's documents as a corpus JSONL in `dir` and returns its path; an unchanged file is
 * left as it is, so the eval's index cache (keyed by the file's size and time) is reused.
 */
export async function writeRtqaCorpus(set: RtqaSet, dir: string): Promise<string> {
  const file = path.join(dir, 'realtimeqa-2022.jsonl');
  const text = `${set.docs.map((d) => JSON.stringify(d)).join('\n')}\n`;
  const old = await readFile(file, 'utf8').catch(() => undefined);
  if (old !== text) {
    await mkdir(dir, { recursive: true });
    await writeFile(file, text);
  }
  return file;
}
