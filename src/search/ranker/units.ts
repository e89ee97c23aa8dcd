import { processTerm, tokenize } from '../../text/analyze.js';
import { splitSentences } from '../../text/sentences.js';
import type { QuestionInfo } from './question.js';

/**
 * The unit a question measures in ("how much was paid", "what share of the vote", "how many crew
 * members") and whether a passage holds a number in it: a ranker feature (a passage answering such a
 * question holds one) and confidence evidence (a question whose best passage holds none is likely
 * asking for a fact the corpus lacks).
 */

const MONTH_OR_DAY = /^(jan(uary)?|feb(ruary)?|march|april|may|june|july|aug(ust)?|sept?(ember)?|oct(ober)?|nov(ember)?|dec(ember)?|monday|tuesday|wednesday|thursday|friday|saturday|sunday)$/i;
const NUMBER_WORD = /^(hundreds?|thousands?|millions?|billions?|dozens?|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|half|quarter|third)$/i;
const WORD = /[\p{L}\p{N}][\p{L}\p{N}'’.,%$£€-]*/gu;
/** Words after "how many" that name no countable thing. */
const NOT_COUNTED = new Set(['kind', 'type', 'sort', 'exact', 'actual', 'total', 'number', 'amount', 'more', 'times']);
/** "how many X": X within this many words of a number. */
const COUNT_NEAR = 5;

/** Questions about money, and numbers that are amounts of money. */
const MONEY_QUESTION =
  /\b(how much|what price|what sum|what amount)\b.*\b(cost|costs|paid|pay|paying|spend|spent|worth|price|raised|raising|donat\w*|save|saved|fine|fined|earn\w*|sold|sell|bought|buy|money|cash|funding|fund|salary|wage|bill|fee|ransom|bail)\b|\bhow much (money|cash|funding)\b|\bwhat(?:'s|’s| is| was| were| are)? (?:the |their |its |his |her )?(?:\w+ )?(cost|price|salary|fee|ransom|fine|bail|fundraising target|pay rise)\b/i;
const MONEY = /[$£€]\s?\d|\d\s?(bn|m|k)\b|\b\d[\d,.]*\s+(million|billion|trillion|thousand)?\s*(dollars?|pounds?|euros?|roubles?|rubles?|hryvnias?|yuan|rupees?|francs?)\b|\b(million|billion)\b/i;
/** Questions about a share, and numbers that are shares. */
const SHARE_QUESTION = /\b(what (share|percentage|percent|proportion)|what %|by what (percentage|percent|share)|how much of|by how much|what fraction|what (?:was |is )?(?:the )?(?:\w+ )?(interest|unemployment|growth|tax) rate)/i;
const SHARE = /\d\s?(%|per ?cent|percent)|\b(half|third|quarter|two-thirds|three-quarters)\b/i;
/** Questions about a length, distance, size or duration, and numbers with such a unit. */
const MEASURE_QUESTION = /\bhow (far|long|tall|high|deep|wide)\b/i;
const SIZE_QUESTION = /\bhow (big|large)\b/i;
/** Questions about a person's (or thing's) age, and the ways news gives one: "55-year-old", "aged 55", "Dugin, 60, said". */
const AGE_QUESTION = /\b(how old|what age(?! (?:group|bracket|range|limit))|at what age|what (?:was|is) (?:his|her|their) age)\b/i;
// Case-insensitive but for the "Name, 60," form (its capital tells a name from "in May, 12, …").
const AGE = /\b\d{1,3}[- ][Yy]ears?[- ][Oo]ld\b|\b[A-Za-z]+(?:-[A-Za-z]+)?-[Yy]ears?-[Oo]ld\b|\b(?:[Aa]ged?|[Aa]ge of)\s\d{1,3}\b|\p{Lu}\p{Ll}[\p{L}'’-]*,\s\d{1,3},/u;
/** Questions about how many live somewhere, and numbers of inhabitants. */
/** Asked for as a number: "what's the population of", "how many people live in" (not "why is the population shrinking"). */
const POPULATION_QUESTION =
  /\b(?:what(?:'s|’s| is| was| were| are)? (?:the |its |their )?(?:total |current |estimated )?population|population (?:of [\w -]+ )?(?:is|was|stood at)\b|how many (?:people|residents|inhabitants) (?:live|lived|living|are there))/i;
const POPULATION =
  /\bpopulation\b[^.?!]{0,40}?\d|\d[\d,.]*\s*(?:million|thousand|m|k)?\s+(?:people|residents|inhabitants)\b|\b(?:home to|population of)\s+(?:about |around |some |nearly |almost |more than |over )?\d/i;
const MEASURE =
  /\d[\d,.]*\s?-?(km|kilomet\w+|miles?|met(er|re)s?|m\b|feet|ft|foot|yards?|inch\w*|cm|hours?|minutes?|days?|weeks?|months?|years?|seconds?|square|acres?|hectares?|tonnes?|tons?|kg)\b|\b(a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|a few|several|dozens of|hundreds of)\s+(kilomet\w+|miles?|met(er|re)s?|feet|yards?|hours?|minutes?|days?|weeks?|months?|years?|seconds?|acres?|hectares?|tonnes?|tons?)\b/i;

/** The concepts "how many" counts: the words of the noun phrase after it ("how many shell casings" → shell, casing). */
export function countedConcepts(info: QuestionInfo): number[] {
  const m = /\bhow many\s+(.+)$/i.exec(info.plan.question);
  if (!m) return [];
  // "how many did he clear": the thing counted was named earlier, not after "how many".
  if (/^(did|do|does|were|was|are|is|have|has|had|will|would|could|can)\b/i.test(m[1]!)) return [];
  const out: number[] = [];
  // "how many of the 12 crew members": skip to the first word that names a thing, then take up to three.
  for (const token of tokenize(m[1]!).slice(0, 5)) {
    if (NOT_COUNTED.has(token) || /^\d/.test(token)) continue;
    const term = processTerm(token);
    if (term === null) {
      if (out.length > 0) break; // a stop word ends the phrase ("how many casings *were* found")
      continue;
    }
    const i = info.plan.concepts.findIndex((c) => c.term === term);
    if (i >= 0) out.push(i);
    if (out.length === 3) break;
  }
  return out;
}

/** A number the question does not already hold, within `within` words of a word standing for the concept. */
function numberNear(sentence: string, info: QuestionInfo, concepts: readonly number[], within: number): boolean {
  const words = sentence.match(WORD) ?? [];
  const numbers: number[] = [];
  const hits: number[] = [];
  words.forEach((raw, i) => {
    const word = raw.replace(/[’'.,-]+$/u, '');
    if (!info.words.has(word.toLowerCase()) && (/\d/.test(word) || NUMBER_WORD.test(word)) && !MONTH_OR_DAY.test(word)) numbers.push(i);
    const token = tokenize(raw)[0];
    const term = token === undefined ? null : processTerm(token);
    if (term !== null && (info.plan.conceptOf.get(term) ?? []).some((c) => concepts.includes(c))) hits.push(i);
  });
  return numbers.some((n) => hits.some((h) => h !== n && Math.abs(h - n) <= within));
}

/** What a question measures in, classified once per question (the ranker asks for every candidate). */
type Unit = { kind: 'money' | 'share' | 'measure' | 'size' | 'age' | 'population' | 'none' } | { kind: 'count'; concepts: number[] };

const units = new WeakMap<QuestionInfo, Unit>();

function unitOf(info: QuestionInfo): Unit {
  let unit = units.get(info);
  if (unit) return unit;
  const q = info.plan.question;
  // Money and shares are asked for without "how much" too ("what was the cost", "what % of the vote").
  if (MONEY_QUESTION.test(q)) unit = { kind: 'money' };
  else if (SHARE_QUESTION.test(q)) unit = { kind: 'share' };
  // "what's the population of" asks for a number without "how many".
  else if (POPULATION_QUESTION.test(q)) unit = { kind: 'population' };
  else if (info.type !== 'number') unit = { kind: 'none' };
  else if (AGE_QUESTION.test(q)) unit = { kind: 'age' };
  else if (MEASURE_QUESTION.test(q)) unit = { kind: 'measure' };
  else if (SIZE_QUESTION.test(q)) unit = { kind: 'size' };
  else {
    const concepts = countedConcepts(info);
    unit = concepts.length ? { kind: 'count', concepts } : { kind: 'none' };
  }
  units.set(info, unit);
  return unit;
}

/**
 * 0 when the question measures in a unit — money, a share, a length or duration, an age, a
 * population, or the thing "how many" counts — and the passage holds no number in it; 1 otherwise
 * (also when the question names no unit, so it never lowers confidence for other questions).
 */
export function unitNear(info: QuestionInfo, passage: string): number {
  const unit = unitOf(info);
  switch (unit.kind) {
    case 'none':
      return 1;
    case 'money':
      return MONEY.test(passage) ? 1 : 0;
    case 'share':
      return SHARE.test(passage) ? 1 : 0;
    case 'measure':
      return MEASURE.test(passage) ? 1 : 0;
    case 'age':
      return AGE.test(passage) ? 1 : 0;
    case 'population':
      return POPULATION.test(passage) ? 1 : 0;
    case 'size':
      // "how big / how large" a crowd, a following, a group: a count as often as a measure.
      return MEASURE.test(passage) || /\d/.test(passage) ? 1 : 0;
    case 'count':
      return splitSentences(passage).some((s) => numberNear(s.text, info, unit.concepts, COUNT_NEAR)) ? 1 : 0;
  }
}
