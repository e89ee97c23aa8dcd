import { splitSentences } from '../text/sentences.js';

/**
 * Cleans scraped article text: drops site boilerplate (copyright, donation and ad-block appeals,
 * "Read more:", content-protection notices, correction prompts, photo credits), undoes word
 * obfuscation ("mis.sile att.acks" → "missile attacks") and normalizes whitespace, keeping
 * paragraph breaks so the chunker can use them.
 */

/** A paragraph matching any of these is boilerplate when it is short enough to be a site fixture. */
const BOILERPLATE_PATTERNS: RegExp[] = [
  /^(copyright|©|\(c\))\s/i,
  /(copyright|©)\s*(\(c\)\s*)?\d{4}/i,
  /\ball rights reserved\b/i,
  /error:\s*content is protected/i,
  /^(read|see) (more|also|next)\b\s*:?/i,
  /^(related|recommended|more on this|more from|most read|trending)( (stories|articles|coverage|reading))?\s*:/i,
  /become a (patron|member|supporter|subscriber)/i,
  /\b(disabl\w*|turn(ing)? off|whitelist\w*|pause) (your )?ad[- ]?block/i,
  /\bad[- ]?blocker\b/i,
  /help us (produce|continue|keep)/i,
  /join our community/i,
  /\bsupport of (our )?readers\b/i,
  /\bkeep (our|this) (reporting|journalism|content) (open|free)\b/i,
  /you could close this page/i,
  /\brel(y|ies) (solely |entirely )?on (advertising|readers?|donations|subscri\w+)\b/i,
  /\byour (assistance|support|donation|contribution) helps us\b/i,
  /\bwe do not endorse or promote any products\b/i,
  /^thank you( for (reading|your support))?[.!]?$/i,
  /\bcup of coffee\b/i,
  /\bsupport (us|our (work|journalism|reporting|newsroom)|independent (journalism|media))\b/i,
  /\b(donate|make a donation)\b.{0,40}\b(today|now|here|us)\b/i,
  /\bsubscribe (now|today|to our|for)\b/i,
  /\bsign up (for|to) (our|the) .{0,30}newsletter/i,
  /\bnewsletter\b.{0,40}\b(sign up|subscribe|inbox)\b/i,
  /\bfollow us on (twitter|facebook|telegram|instagram|x)\b/i,
  /to suggest a correction/i,
  /\bpress ctrl ?\+ ?enter\b/i,
  /please leave your suggestions or corrections/i,
  /\b(spotted|found) (a|an) (mistake|error|typo)\b/i,
  /^privacy( and cookie)? polic(y|ies)\.?$/i,
  /^(cookie policy|terms (of use|of service|and conditions))\.?$/i,
  /when referencing our materials/i,
  /\b(to reprint|republish)\b.{0,80}\bpermission\b/i,
  /\bis supported by the\b.{0,80}\bfoundation\b/i,
  /^(advertisement|sponsored( content)?|skip to (main )?content|share this( article)?:?|click to share.*|share on (facebook|twitter).*)$/i,
  /^(this (article|story) (was|has been) (updated|corrected))/i,
  /not responsible for the content of external (sites|websites)/i,
  /read about our approach to external linking/i,
];

/** Longest paragraph that can still be treated as boilerplate (real article paragraphs can quote these words). */
const MAX_BOILERPLATE_CHARS = 1200;

/** A whole-line photo caption or credit: "… Photo: Khersondaily", "(Photo by X/AFP via Getty Images)". */
const PHOTO_CREDIT =
  /(^|[\s.(])(photo|photograph|image|picture|credit|photo credit|pictured)s?( by)?\s*:\s*[^.!?]{1,80}\)?$|\((photo|image)s? (by|courtesy of|credit)[^)]*\)\s*$|\bvia getty images\)?\s*$|^(getty images|afp|reuters|ap photo)[^.]{0,60}$/i;

const SENTENCE_END = /[.!?…"”'’)\]:]$/;

function wordCount(s: string): number {
  return s.split(/\s+/).filter(Boolean).length;
}

/** One pass over the text instead of one per pattern (most paragraphs match none). */
const ANY_BOILERPLATE = new RegExp(BOILERPLATE_PATTERNS.map((re) => `(?:${re.source})`).join('|'), 'im');

const matchesBoilerplate = (text: string): boolean => ANY_BOILERPLATE.test(text) && BOILERPLATE_PATTERNS.some((re) => re.test(text));

/** True when a line as a whole is site chrome (used to skip leading lines when finding a title). */
function isBoilerplate(paragraph: string): boolean {
  return paragraph.length <= MAX_BOILERPLATE_CHARS && matchesBoilerplate(paragraph);
}

/**
 * Removes boilerplate from one paragraph. Scraped text often has no line breaks, so an appeal or a
 * copyright line can sit at the end of real prose: drop the whole paragraph only when boilerplate
 * makes up a good part of it, else just the offending sentences.
 */
function stripBoilerplate(paragraph: string): string {
  if (!matchesBoilerplate(paragraph)) return paragraph;
  const sentences = splitSentences(paragraph).map((s) => s.text);
  const bad = sentences.map(matchesBoilerplate);
  const badChars = sentences.reduce((n, sentence, i) => n + (bad[i] ? sentence.length : 0), 0);
  if (paragraph.length <= MAX_BOILERPLATE_CHARS && badChars * 2 >= paragraph.length) return '';
  return sentences.filter((_, i) => !bad[i]).join(' ');
}

function isPhotoCredit(paragraph: string): boolean {
  return paragraph.length <= 400 && PHOTO_CREDIT.test(paragraph);
}

/** A short line with no sentence punctuation: a tag list, image alt text, a lone outlet name. */
function isFragment(paragraph: string): boolean {
  return wordCount(paragraph) <= 8 && !SENTENCE_END.test(paragraph);
}

/** Top-level domains and file endings that make "word.word" a name, not obfuscation. */
const DOTTED_NAME_ENDINGS = new Set([
  'com', 'org', 'net', 'gov', 'edu', 'mil', 'int', 'info', 'biz', 'io', 'co', 'uk', 'ua', 'ru', 'us', 'eu', 'de',
  'fr', 'it', 'pl', 'by', 'ca', 'au', 'in', 'jp', 'cn', 'news', 'tv', 'me', 'ly', 'app', 'dev', 'online', 'media',
  'js', 'ts', 'py', 'html', 'htm', 'php', 'pdf', 'txt', 'json', 'csv', 'xml', 'jpg', 'png', 'gif', 'exe', 'zip',
]);

/**
 * Undoes dot-obfuscation inside words ("mis.sile" → "missile") while leaving URLs, domains,
 * abbreviations (U.S., e.g.), decimals and file names alone: only a lowercase run of letters,
 * a single dot and another lowercase run, not part of a longer dotted or slashed token, is joined.
 */
export function deobfuscate(text: string): string {
  return text.replace(/(^|[^\w.@/:-])([a-z]{1,20})\.([a-z]{2,20})(?=$|[^\w.@/-]|\.(?:\s|$))/g, (match, pre: string, left: string, right: string) => {
    if (DOTTED_NAME_ENDINGS.has(right)) return match;
    if (left.length === 1 && right.length <= 2) return match; // "e.g", "i.e" style
    return `${pre}${left}${right}`;
  });
}

function normalizeWhitespace(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u200b-\u200d\u2060\ufeff\u00ad]/g, '') // zero-width characters and soft hyphens
    .replace(/[\u00a0\u2000-\u200a\u202f\u205f\u3000\t]/g, ' ')
    .replace(/[ ]+/g, ' ');
}

const normTitle = (s: string): string => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();

/**
 * Joins lines of hard-wrapped text: a line that stops mid-sentence continues on the next lowercase
 * line. One forward pass (splicing the array per join was quadratic on long hard-wrapped files).
 */
function unwrapHardBreaks(lines: string[]): string[] {
  const out: string[] = [];
  const pieces: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const prev = lines[i - 1];
    if (prev !== undefined && prev.length >= 40 && !SENTENCE_END.test(prev) && /^[\p{Ll}\d(“"‘']/u.test(lines[i]!)) {
      pieces.push(lines[i]!);
      continue;
    }
    if (pieces.length) out.push(pieces.join(' '));
    pieces.length = 0;
    pieces.push(lines[i]!);
  }
  if (pieces.length) out.push(pieces.join(' '));
  return out;
}

export interface CleanOptions {
  /** The article's title: lines repeating it are dropped from the body. */
  title?: string;
}

/** Splits into paragraphs (one per non-empty line), drops boilerplate, returns "\n\n"-joined text. */
export function cleanParagraphs(text: string, options: CleanOptions = {}): string[] {
  const lines = unwrapHardBreaks(
    normalizeWhitespace(text)
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
  );
  const title = options.title ? normTitle(options.title) : undefined;
  for (let i = 0; i < lines.length; i++) lines[i] = stripBoilerplate(lines[i]!);
  const keep: boolean[] = lines.map((line) => line !== '' && !(title && normTitle(line) === title));
  for (let i = 0; i < lines.length; i++) {
    if (!keep[i] || !isPhotoCredit(lines[i]!)) continue;
    keep[i] = false;
    // The line before a credit is often the image's alt text or tag list.
    if (i > 0 && keep[i - 1] && isFragment(lines[i - 1]!)) keep[i - 1] = false;
  }
  const kept = lines.filter((_, i) => keep[i]).map(deobfuscate);
  // Trailing fragments ("Euromaidan Press", share widgets) after the last real sentence are site chrome.
  while (kept.length > 1 && isFragment(kept[kept.length - 1]!)) kept.pop();
  return kept;
}

export function cleanText(text: string, options: CleanOptions = {}): string {
  return cleanParagraphs(text, options).join('\n\n');
}

/** Cleans a title: whitespace, obfuscation, and a trailing " | Outlet" / " - Outlet" suffix is kept as is. */
export function cleanTitle(title: string): string {
  return deobfuscate(normalizeWhitespace(title).replace(/\s*\n\s*/g, ' ').trim());
}

export { isBoilerplate, isFragment };
