/**
 * Sentence splitting, shared by cleaning, chunking, quotes and eval: ICU's sentence rules
 * (Intl.Segmenter) corrected for abbreviations, with exact character offsets.
 */

/** A sentence with its character offsets in the text it came from. */
export interface Sentence {
  start: number;
  end: number;
  text: string;
}

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/**
 * Intl.Segmenter's cost per sentence grows with the length of the whole string (quadratic on one
 * long paragraph: 400 KB took 13 s), so long text is fed to it in windows of at most this many
 * characters. Normal paragraphs are far shorter and are segmented in one piece.
 */
export const SEGMENT_WINDOW = 4000;

/**
 * Words after which a period does not end a sentence. ICU's sentence rules break after "U.S. " or
 * "Gen. " when a capital follows, which would cut names and quotes in half.
 */
const ABBREVIATIONS = new Set(
  (
    'mr mrs ms dr prof gen lt col maj capt sgt adm cmdr gov sen rep pres st sr jr rev hon ' +
    'no nos vol fig approx est dept univ inc ltd co corp bros vs etc al e.g i.e ' +
    'jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n e.u u.s.a d.c a.m p.m'
  ).split(' '),
);

/** Enough of a sentence's end to see its last word (abbreviations are short); keeps the check O(1). */
const TAIL = 100;

function endsWithAbbreviation(sentence: string): boolean {
  const m = /(?:^|[\s(“"])([\p{L}.]+)\.\s*$/u.exec(sentence.length > TAIL ? sentence.slice(-TAIL) : sentence);
  if (!m) return false;
  const word = m[1]!.toLowerCase();
  // Single-letter initials ("J. R. R. Tolkien") also continue the sentence.
  return ABBREVIATIONS.has(word) || /^\p{L}$/u.test(word);
}

/**
 * Where ICU breaks anyway: sentence punctuation (and closing quotes), spaces, then a capital. Not
 * before a digit: to ICU "parents. 14-year-old was hit" is one sentence.
 */
const CUT = /[.!?]["'”’)\]]*\s+(?=["'“‘(]?\p{Lu})/gu;

/**
 * Ends of windows of at most SEGMENT_WINDOW characters: each cut is at the last sentence end in the
 * window, or, in a run with no sentence end at all, at the last space (such a run is not a sentence
 * anyone could quote), or hard at the window's end.
 */
function windowEnds(text: string): number[] {
  const ends: number[] = [];
  let from = 0;
  while (text.length - from > SEGMENT_WINDOW) {
    const limit = from + SEGMENT_WINDOW;
    let cut = -1;
    // Search the window only (a few characters past it for the lookahead), never the rest of the text.
    const window = text.slice(from, limit + 3);
    for (const m of window.matchAll(CUT)) if (m.index + m[0].length <= SEGMENT_WINDOW) cut = from + m.index + m[0].length;
    if (cut <= from) {
      const space = window.lastIndexOf(' ', SEGMENT_WINDOW - 1);
      cut = space > 0 ? from + space + 1 : limit;
    }
    ends.push(cut);
    from = cut;
  }
  ends.push(text.length);
  return ends;
}

/** Splits text into sentences with exact offsets (text.slice(start, end) === sentence.text). Linear in the text's length. */
export function splitSentences(text: string, base = 0): Sentence[] {
  const out: Sentence[] = [];
  let from = 0;
  for (const to of windowEnds(text)) {
    const piece = text.length === to && from === 0 ? text : text.slice(from, to);
    for (const seg of segmenter.segment(piece)) {
      const raw = seg.segment;
      const lead = raw.length - raw.trimStart().length;
      const trimmed = raw.trim();
      if (!trimmed) continue;
      const start = base + from + seg.index + lead;
      const sentence = { start, end: start + trimmed.length, text: trimmed };
      const prev = out[out.length - 1];
      // Join ICU's break after an abbreviation, and stray fragments such as a lone closing quote
      // (but never past a window's length: text made of abbreviations alone must not become one sentence).
      if (prev && prev.end - prev.start < SEGMENT_WINDOW && (endsWithAbbreviation(prev.text) || !/[\p{L}\p{N}]/u.test(trimmed))) {
        prev.text = text.slice(prev.start - base, sentence.end - base);
        prev.end = sentence.end;
      } else {
        out.push(sentence);
      }
    }
    from = to;
  }
  return out;
}

/** Sentences of a whole article, paragraph by paragraph (a sentence never spans a paragraph break). */
export function articleSentences(text: string): Array<Sentence & { paragraphEnd: boolean }> {
  const out: Array<Sentence & { paragraphEnd: boolean }> = [];
  const re = /[^\n]+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const sentences = splitSentences(m[0], m.index);
    for (let i = 0; i < sentences.length; i++) out.push({ ...sentences[i]!, paragraphEnd: i === sentences.length - 1 });
  }
  return out;
}
