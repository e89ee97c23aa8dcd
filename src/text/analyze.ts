import { stemmer } from 'stemmer';
import { eng } from 'stopword';

/**
 * Text analysis shared by the lexical index, query processing and quote scoring, so that a
 * question term and a passage term meet in the same form: unicode-folded, lower-case, stop words
 * dropped, Porter-stemmed.
 */

// The library's list plus question words, which carry no topic in a question.
const STOP_WORDS = new Set([...eng, 'does', 'doing', 'done', 'when', 'why', 'whom', 'whose', 'its', 'it’s', 'was', 'were', 'will', 'not', 'no', 'so', 'just', 'say', 'says', 'tell', 'told']);
// Words the library lists that matter in questions about events.
for (const w of ['take', 'make', 'came', 'come', 'way', 'get', 'got', 'us']) STOP_WORDS.delete(w);

/**
 * Contractions as `tokenize` leaves them ("don't" → "dont"), which the library does not list. They
 * carry no topic, and the everyday-English counts split them ("don" + "t"), so left in, "dont" looked
 * like one of the corpus's rarest words and gave "i don't think so" a topic. Forms that are also
 * words ("id", "ill", "shed", "wed", "hell", "shell", "well") stay.
 */
const CONTRACTIONS = [
  ...['dont', 'doesnt', 'didnt', 'isnt', 'arent', 'wasnt', 'werent', 'cant', 'couldnt', 'shouldnt', 'wouldnt', 'wont'],
  ...['havent', 'hasnt', 'hadnt', 'aint', 'mustnt', 'neednt', 'mightnt', 'shant'],
  ...['im', 'ive', 'youre', 'youve', 'youll', 'youd', 'theyre', 'theyve', 'theyll', 'theyd', 'weve', 'itll', 'thatll'],
  ...['hes', 'shes', 'thats', 'whats', 'theres', 'heres', 'wheres', 'whos', 'hows', 'whens', 'whys', 'lets', 'yall'],
  ...['wouldve', 'couldve', 'shouldve', 'mightve', 'mustve', 'gonna', 'wanna', 'gotta'],
];
for (const w of CONTRACTIONS) STOP_WORDS.add(w);

/** Folds accents, typographic quotes and case: "Zelenskyy’s" → "zelenskyy's". */
export function fold(text: string): string {
  // Most news text is ASCII plus typographic punctuation: skip the costly normalization then.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: \x00-\x7f is the whole ASCII range, control characters included on purpose.
  const plain = !/[^\x00-\x7f‘’“”ʼ′´–—…\u00a0]/.test(text);
  const base = plain ? text : text.normalize('NFKD').replace(/\p{M}+/gu, '');
  return base.replace(/[‘’ʼ′`´]/g, "'").toLowerCase();
}

const TOKEN = /(?:\p{L}\.){2,}|[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu;

/** Splits folded text into word tokens; "U.S." becomes "us", possessive "'s" goes. */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const m of fold(text).matchAll(TOKEN)) {
    let t = m[0];
    if (t.includes('.')) t = t.replace(/\./g, '');
    else if (t.includes("'")) t = t.endsWith("'s") ? t.slice(0, -2) : t.replace(/'/g, '');
    if (t) out.push(t);
  }
  return out;
}

const stemCache = new Map<string, string>();

/** A token's index form, or null for stop words. Numbers are kept whole. */
export function processTerm(token: string): string | null {
  if (STOP_WORDS.has(token)) return null;
  let stem = stemCache.get(token);
  if (stem === undefined) {
    stem = /^\p{N}+$/u.test(token) ? token : stemmer(token);
    if (stemCache.size < 500_000) stemCache.set(token, stem);
  }
  return stem;
}

/** Index terms of a text, in order (with repeats). */
export function analyze(text: string): string[] {
  const out: string[] = [];
  for (const token of tokenize(text)) {
    const term = processTerm(token);
    if (term !== null) out.push(term);
  }
  return out;
}
