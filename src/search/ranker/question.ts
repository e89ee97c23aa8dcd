import { analyze } from '../../text/analyze.js';
import { answerType, type AnswerType } from '../postprocess/quote.js';
import type { QueryPlan } from '../query.js';

/** What the question asks for, analysed once per question. */
export interface QuestionInfo {
  plan: QueryPlan;
  type: AnswerType | undefined;
  /** Lower-case words of the question, to tell a fresh answer from one the question already holds. */
  words: ReadonlySet<string>;
  /** Years and month names the question mentions. */
  years: string[];
  months: number[];
  /** Consecutive pairs of the question's own terms ("grain deal"). */
  bigrams: Array<[string, string]>;
  /** Share of the question's weight in concepts the corpus never uses in any form. */
  absentShare: number;
}

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

export function questionInfo(plan: QueryPlan): QuestionInfo {
  const q = plan.question;
  const lower = q.toLowerCase();
  const months: number[] = [];
  for (const m of lower.matchAll(/\b(jan(?:uary)?|feb(?:ruary)?|march|april|june|july|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b/g)) {
    months.push(MONTH_NAMES.indexOf(m[1]!.slice(0, 3)) + 1);
  }
  const own = analyze(q).filter((t) => plan.concepts.some((c) => c.term === t));
  const bigrams: Array<[string, string]> = [];
  for (let i = 0; i + 1 < own.length; i++) if (own[i] !== own[i + 1]) bigrams.push([own[i]!, own[i + 1]!]);
  const total = plan.concepts.reduce((s, c) => s + c.weight, 0) || 1;
  return {
    plan,
    type: answerType(q),
    words: new Set(lower.match(/[\p{L}\p{N}][\p{L}\p{N}'.,-]*/gu) ?? []),
    years: lower.match(/\b(19|20)\d\d\b/g) ?? [],
    months,
    bigrams,
    // In a small corpus most words are absent and that says little; names never mentioned always count.
    absentShare: plan.concepts.reduce((s, c) => s + (c.absent ? c.weight * (c.name ? 1 : plan.corpusScale) : 0), 0) / total,
  };
}
