/**
 * Generates a tiny but *real* embedding model in the Transformers.js local-model layout, so tests and
 * benchmarks can run the genuine `pipeline('feature-extraction', …)` code path (tokenizer + ONNX Runtime)
 * without the Hugging Face Hub.
 *
 * Layout written (Transformers.js resolves `env.localModelPath/<modelId>/<file>`):
 *   <modelDir>/<modelId>/config.json
 *   <modelDir>/<modelId>/tokenizer.json
 *   <modelDir>/<modelId>/tokenizer_config.json
 *   <modelDir>/<modelId>/onnx/model.onnx            float32 table
 *   <modelDir>/<modelId>/onnx/model_quantized.onnx  int8 table + DequantizeLinear
 *
 * The "model" is a static embedding: each vocab token has a fixed vector derived from a hash of its
 * string, so mean-pooled sentences that share words are closer than unrelated ones. It is not a good
 * model; it only has to give a stable lexical signal.
 */
import path from 'node:path';
import { PAD_ID, SPECIAL_TOKENS, writeStaticModel } from '../../src/embed/static-model.js';
import { seededRandom } from './random.js';

export interface TinyModelOptions {
  /** Default 'archivist-test/tiny-static-embed'. May be "org/name" or "name". */
  modelId?: string;
  /** Embedding width (config.hidden_size). Default 32. */
  dim?: number;
  /**
   * Extra whole words to put in the vocab. They are normalized like the tokenizer does (lowercase,
   * accents stripped) and split on whitespace/punctuation, since BertPreTokenizer would split them anyway.
   */
  words?: string[];
  /** Seeds the per-token vectors. Default 0. */
  seed?: number;
  /**
   * When true (default), position 0 ([CLS]) of `last_hidden_state` is the attention-masked mean of all
   * token vectors, so `pooling: 'cls'` (what bge-style models use) still carries a lexical signal.
   * When false the graph is a single Gather: [CLS] is a constant vector and attention_mask is unused.
   */
  contextualCls?: boolean;
}

export interface TinyModel {
  modelId: string;
  dim: number;
  /** Absolute-or-relative (as given) path of <modelDir>/<modelId>. */
  dir: string;
}

export const DEFAULT_TINY_MODEL_ID = 'archivist-test/tiny-static-embed';


/** Function words get a short vector (a poor man's IDF) so they don't dominate mean pooling. */
const STOPWORDS = `
a an the and or but nor of to in on at for from by with without as is are was were be been being am
it its this that these those he she they we you i me my his her hers their theirs our ours your yours
them him us not no yes do does did done has have had having will would can could should shall may
might must than then so if about into onto over under after before up down out off there here what
which who whom whose when where why how all any some each every both either neither more most less
other such only own same too very just also again once while during until against between through
`;

/** A few hundred common English words, weighted towards news vocabulary. */
const COMMON_WORDS = `
time year years people way day days man men woman women child children world life hand part place
case week weeks company system program question work government number night point home water room
mother area money story fact month months lot right study book eye job word business issue side kind
head house service friend father power hour game line end member law car city community name team
minute idea body information back parent face level office door health person art history party
result change morning reason research moment air teacher force education food bread coffee dinner
restaurant music film family school schools university students science technology internet phone
computer data software market markets price prices economy economic bank banks stock stocks trade
tax taxes budget inflation rate rates interest oil gas energy climate weather storm flood floods fire
fires earthquake hospital disease virus vaccine pandemic doctor doctors patients new old good bad big
small large long short high low great little young early late first last next few many much own
public private local global national international foreign political military social best better
major million billion percent say says said tell told report reports reported according official
officials minister ministers president prime election elections vote votes voters campaign parliament
congress senate court courts judge trial police arrest arrested charged killed kill dead death deaths
died injured wounded attack attacks attacked strike strikes missile missiles rocket rockets drone
drones army troops soldiers forces war wars peace ceasefire talks deal agreement sanctions border
borders capital region regional country countries state states nation crisis emergency protest
protests rights human aid refugees civilians hostages security defence defense nuclear weapons bomb
explosion shelling invasion offensive front frontline russia russian ukraine ukrainian europe european
union america american britain british china chinese india indian germany german france french japan
israel israeli gaza palestinian iran iranian africa african london washington moscow kyiv beijing
paris berlin city town village north south east west northern southern eastern western coast sea
river island investigation investigators evidence prison sentence charges crime victims leader
leaders chief head spokesman spokeswoman statement announced announcement plan plans policy reform
support supporters opposition coalition former current week today yesterday tomorrow weekend sunday
monday tuesday wednesday thursday friday saturday january february march april may june july august
september october november december spring summer autumn winter season hit hits fell rose rise fall
growth recession jobs workers union unions pay wages salary strike workers company companies chief
executive ceo shares investors profit profits loss losses sales revenue industry factory production
exports imports supply demand shortage shortages crash accident train plane flight airport road
traffic bridge building buildings homes housing rent city government council mayor governor
`;

/**
 * WordPiece continuation pieces beyond single characters, so e.g. "shelled" → "shell" "##ed" keeps the
 * stem whole instead of falling back to characters.
 */
const SUFFIX_PIECES = ['##s', '##es', '##ed', '##ing', '##er', '##ers', '##ly', '##ian', '##ion', '##ions', '##ment', '##al'];

/** Vector lengths by token class: whole words dominate, character fallback pieces are a weak signal. */
const WEIGHT = { word: 1, stopword: 0.35, suffix: 0.5, char: 0.3, special: 0.05 } as const;
type TokenClass = keyof typeof WEIGHT | 'pad';

// ---------------------------------------------------------------------------------------------------
// Vocabulary

/** Same normalization BertNormalizer applies (lowercase, NFD, drop combining marks). */
function normalizeWord(word: string): string {
  return word.toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '');
}

/** The word runs BertPreTokenizer keeps (same class as Transformers.js: \p{P} plus all ASCII symbols). */
function preTokenize(text: string): string[] {
  return text.match(/[^\s\p{P}\u0021-\u002F\u003A-\u0040\u005B-\u0060\u007B-\u007E]+/gu) ?? [];
}

function splitWords(list: string): string[] {
  return list.split(/\s+/).filter(Boolean);
}

interface Vocab {
  tokens: string[];
  classes: TokenClass[];
}

function buildVocab(extraWords: readonly string[]): Vocab {
  const tokens: string[] = [];
  const classes: TokenClass[] = [];
  const seen = new Set<string>();
  const add = (token: string, cls: TokenClass): void => {
    if (seen.has(token)) return;
    seen.add(token);
    tokens.push(token);
    classes.push(cls);
  };

  SPECIAL_TOKENS.forEach((t, i) => {
    add(t, i === PAD_ID ? 'pad' : 'special');
  });

  // Every printable ASCII char and its "##" form, so any ASCII word tokenizes without [UNK].
  // Upper case is skipped: the normalizer lowercases before WordPiece sees the text.
  const chars: string[] = [];
  for (let code = 33; code <= 126; code++) {
    const c = String.fromCharCode(code);
    if (c >= 'A' && c <= 'Z') continue;
    chars.push(c);
  }
  for (const c of chars) add(c, 'char');
  for (const c of chars) add(`##${c}`, 'char');
  for (const piece of SUFFIX_PIECES) add(piece, 'suffix');

  for (const w of splitWords(STOPWORDS)) add(w, 'stopword');
  for (const w of splitWords(COMMON_WORDS)) add(w, 'word');

  // Sorted so the files depend on the set of extra words, not the order a caller listed them in.
  const extra = new Set<string>();
  for (const w of extraWords) for (const piece of preTokenize(normalizeWord(w))) extra.add(piece);
  for (const w of [...extra].sort()) add(w, 'word');

  return { tokens, classes };
}

// ---------------------------------------------------------------------------------------------------
// Deterministic vectors (integer hashing + IEEE add/mul/div/sqrt only, so bytes match on every platform)

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}


function buildTable(vocab: Vocab, dim: number, seed: number): Float32Array {
  const table = new Float32Array(vocab.tokens.length * dim);
  const row = new Float64Array(dim);
  vocab.tokens.forEach((token, id) => {
    const cls = vocab.classes[id];
    if (cls === undefined || cls === 'pad') return; // [PAD] stays zero: it never contributes.
    const next = seededRandom(fnv1a(`${seed}\u0000${token}`));
    let norm = 0;
    for (let k = 0; k < dim; k++) {
      const v = next() * 2 - 1;
      row[k] = v;
      norm += v * v;
    }
    // Special tokens are small but non-zero, so a normalized [CLS]-only vector is never 0/0.
    const scale = WEIGHT[cls] / Math.sqrt(norm || 1);
    for (let k = 0; k < dim; k++) table[id * dim + k] = (row[k] ?? 0) * scale;
  });
  return table;
}

function checkOptions(modelId: string, dim: number, seed: number): void {
  // Relative "name" or "org/name" only: the id becomes a path under modelDir.
  if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)?$/.test(modelId) || modelId.split('/').some((p) => p === '.' || p === '..')) {
    throw new Error(`tiny-model: invalid modelId ${JSON.stringify(modelId)} (expected "name" or "org/name")`);
  }
  if (!Number.isInteger(dim) || dim < 1 || dim > 4096) throw new Error(`tiny-model: dim must be an integer in 1..4096, got ${dim}`);
  if (!Number.isSafeInteger(seed)) throw new Error(`tiny-model: seed must be an integer, got ${seed}`);
}

/**
 * Writes MODEL_DIR/<modelId>/{config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx,
 * onnx/model_quantized.onnx} and returns { modelId, dim, dir }. Idempotent: same options → byte-identical files.
 * Load it with `env.localModelPath = modelDir; env.allowRemoteModels = false; pipeline('feature-extraction', modelId)`.
 */
export async function createTinyModel(modelDir: string, options: TinyModelOptions = {}): Promise<TinyModel> {
  const modelId = options.modelId ?? DEFAULT_TINY_MODEL_ID;
  const dim = options.dim ?? 32;
  const seed = options.seed ?? 0;
  const contextualCls = options.contextualCls ?? true;
  checkOptions(modelId, dim, seed);

  const vocab = buildVocab(options.words ?? []);
  const table = buildTable(vocab, dim, seed);
  const dir = path.join(modelDir, ...modelId.split('/'));

  await writeStaticModel(dir, {
    modelId,
    tokens: vocab.tokens,
    table,
    dim,
    contextualCls,
    producer: 'archivist-tests-tiny-model',
    doc: 'Static lexical embedding for tests; not a trained model.',
  });
  return { modelId, dim, dir };
}
