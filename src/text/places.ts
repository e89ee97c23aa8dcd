import { createRequire } from 'node:module';
import type { Countries } from 'world-countries';
import { fold, processTerm, tokenize } from './analyze.js';

/**
 * Place names and the adjectives / demonyms that stand for them ("Turkish" ↔ Turkey, "Polish" ↔
 * Poland, "Saudi" ↔ Saudi Arabia), so a question that says "the Turkish-brokered deal" meets a
 * passage that says "Turkey". Countries come from the `world-countries` data set (common and
 * official names, alternative spellings, English demonyms); regions and nations within countries
 * that news often names by adjective are listed below, since no country table has them.
 */
const REGIONS: Array<[string, string[]]> = [
  ['Crimea', ['Crimean']],
  ['Donbas', ['Donbass']],
  ['Chechnya', ['Chechen']],
  ['Dagestan', ['Dagestani']],
  ['Siberia', ['Siberian']],
  ['Scotland', ['Scottish', 'Scot', 'Scots']],
  ['Wales', ['Welsh']],
  ['England', ['English']],
  ['Northern Ireland', ['Northern Irish']],
  ['Kurdistan', ['Kurdish', 'Kurd', 'Kurds']],
  ['Catalonia', ['Catalan']],
  ['Bavaria', ['Bavarian']],
  ['Texas', ['Texan']],
  ['California', ['Californian']],
  ['Florida', ['Floridian']],
  ['Europe', ['European']],
  ['Asia', ['Asian']],
  ['Africa', ['African']],
  ['Arctic', ['Arctic']],
  ['Baltics', ['Baltic']],
  ['Balkans', ['Balkan']],
  ['Scandinavia', ['Scandinavian']],
  ['Soviet Union', ['Soviet', 'Soviets']],
  ['Moscow', ['Muscovite', 'Muscovites']],
  ['Kyiv', ['Kyivan']],
  ['Britain', ['British', 'Brit', 'Brits']],
  ['Korea', ['Korean', 'Koreans']],
  ['America', ['American', 'Americans']],
  // Adjectives news uses that the country data set lacks (it has "Kazakhstani", not "Kazakh").
  ['Kazakhstan', ['Kazakh', 'Kazakhs']],
  ['Uzbekistan', ['Uzbek', 'Uzbeks']],
  ['Tajikistan', ['Tajik', 'Tajiks']],
  ['Azerbaijan', ['Azeri', 'Azeris']],
  ['UAE', ['Emirati', 'Emiratis']],
  ['Bosnia', ['Bosnian', 'Bosnians']],
  ['Croatia', ['Croat', 'Croats']],
  ['Serbia', ['Serb', 'Serbs']],
  ['Argentina', ['Argentinian', 'Argentinians']],
  ['Iceland', ['Icelandic']],
  ['Luxembourg', ['Luxembourgish']],
  ['Tatarstan', ['Tatar', 'Tatars']],
  ['Ossetia', ['Ossetian', 'Ossetians']],
  ['Abkhazia', ['Abkhaz', 'Abkhazian']],
  ['Transnistria', ['Transnistrian']],
];

/** Words never worth treating as a place (codes and names that are also common words). */
const SKIP = new Set(['us', 'uk', 'eu', 'un', 'guinea', 'chad', 'jersey', 'turkey']);

/** Words of official names that say what kind of state it is, not which. */
const GENERIC = new Set(
  ('republic kingdom state states of the and federation federal federative democratic people peoples islamic arab ' +
    'united great commonwealth principality grand duchy plurinational bolivarian socialist union territory islands ' +
    'island sultanate emirates hashemite independent cooperative oriental constitutional monarchy')
    .split(' '),
);

/** The one distinctive analysed term of a name ("Islamic Republic of Iran" → "iran"), if it has exactly one. */
function nameTerm(name: string): string | undefined {
  const folded = fold(name);
  if (!/^[a-z .'-]+$/.test(folded)) return undefined; // other scripts never occur in English questions
  const words = tokenize(folded).filter((w) => !GENERIC.has(w));
  if (words.length !== 1) return undefined;
  const term = processTerm(words[0]!);
  return term !== null && term.length >= 3 ? term : undefined;
}

export interface PlaceTable {
  /** An analysed question term → analysed terms of the places or adjectives it stands for. */
  related(term: string): string[];
}

let table: Map<string, Set<string>> | undefined;

function link(map: Map<string, Set<string>>, a: string, b: string): void {
  if (a === b) return;
  let set = map.get(a);
  if (!set) {
    set = new Set();
    map.set(a, set);
  }
  set.add(b);
}

/** Adds one place: every single-word form of its names ↔ every demonym (both directions). */
function addPlace(map: Map<string, Set<string>>, names: string[], demonyms: string[]): void {
  // Multi-word names ("South Korea", "Saudi Arabia") match word by word already; only one-word forms
  // are linked, so "South" never stands for Korea.
  const placeTerms = new Set(names.map(nameTerm).filter((t): t is string => t !== undefined));
  const demTerms = new Set(demonyms.map(nameTerm).filter((t): t is string => t !== undefined));
  for (const p of placeTerms) {
    if (SKIP.has(p)) continue;
    for (const d of demTerms) {
      if (SKIP.has(d)) continue;
      link(map, p, d);
      link(map, d, p);
    }
  }
  // Alternative names of one place meet each other ("Holland" / "Netherlands", "Türkiye" / "Turkey").
  for (const a of placeTerms) for (const b of placeTerms) if (!SKIP.has(a) && !SKIP.has(b)) link(map, a, b);
}

function build(): Map<string, Set<string>> {
  const map = new Map<string, Set<string>>();
  const countries = createRequire(import.meta.url)('world-countries/countries.json') as Countries;
  for (const c of countries) {
    const names = [c.name.common, c.name.official, ...c.altSpellings.filter((s) => s.length > 3)];
    // "Republic of Turkey" is how the data set still spells the country most news calls Turkey.
    for (const alt of c.altSpellings) {
      const m = /^Republic of (\p{L}+)$/u.exec(alt);
      if (m) names.push(m[1]!);
    }
    const eng = c.demonyms?.eng;
    addPlace(map, names, eng ? [eng.m, eng.f] : []);
  }
  for (const [name, demonyms] of REGIONS) addPlace(map, [name], demonyms);
  // "Turkey" is skipped as a common word (the bird) on the name side, but as a place it is what
  // "Turkish" means in news; link it explicitly.
  link(map, 'turkish', 'turkei');
  link(map, 'turkei', 'turkish');
  return map;
}

/** The place table, built once per process (a few milliseconds). */
export function placeTable(): PlaceTable {
  table ??= build();
  const t = table;
  return { related: (term) => [...(t.get(term) ?? [])] };
}
