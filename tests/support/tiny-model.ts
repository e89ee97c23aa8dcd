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
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
// protobufjs is CommonJS: the default import is module.exports; the type comes separately.
import protobuf from 'protobufjs/minimal.js';
import type { Writer } from 'protobufjs/minimal.js';
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

const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
const PAD_ID = 0;
const CLS_ID = 2;
const SEP_ID = 3;

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

/** ONNX TensorProto.DataType values we use. */
const DT = { FLOAT: 1, INT8: 3, INT64: 7 } as const;
const OPSET = 13;
/** IR 8 is the newest onnxruntime 1.14 understands (ONNX 1.13); opset 13 keeps every op we use simple. */
const IR_VERSION = 8;

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

/** Symmetric per-tensor int8 quantization, as a dynamic quantizer would produce for a weight. */
function quantize(table: Float32Array): { q: Int8Array; scale: number } {
  let maxAbs = 0;
  for (const v of table) maxAbs = Math.max(maxAbs, Math.abs(v));
  const scale = Math.fround(maxAbs > 0 ? maxAbs / 127 : 1);
  const q = new Int8Array(table.length);
  for (let i = 0; i < table.length; i++) {
    q[i] = Math.max(-127, Math.min(127, Math.round((table[i] ?? 0) / scale)));
  }
  return { q, scale };
}

// ---------------------------------------------------------------------------------------------------
// ONNX graph

// Encoded by hand with protobufjs's Writer rather than onnx-proto's generated classes: onnx-proto's
// .d.ts references a global `Long` type that doesn't exist here, so importing it breaks `tsc` without
// skipLibCheck. Field numbers are those of onnx.proto (same wire bytes as onnx-proto's encoder).

interface Tensor {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
}
interface Node {
  opType: string;
  input: string[];
  output: string[];
  /** INT attributes are all this graph needs. */
  attributes: [name: string, value: number][];
}
interface ValueInfo {
  name: string;
  elemType: number;
  dims: (number | string)[];
}
interface Graph {
  name: string;
  node: Node[];
  initializer: Tensor[];
  input: ValueInfo[];
  output: ValueInfo[];
}

const LEN = 2;
const VARINT = 0;
const ATTRIBUTE_TYPE_INT = 2;

function key(field: number, wire: number): number {
  return (field << 3) | wire;
}

/** Writes a length-delimited sub-message. */
function sub(w: Writer, field: number, body: (w: Writer) => void): void {
  body(w.uint32(key(field, LEN)).fork());
  w.ldelim();
}

function str(w: Writer, field: number, value: string): void {
  w.uint32(key(field, LEN)).string(value);
}

function encodeTensor(w: Writer, t: Tensor): void {
  if (t.dims.length > 0) {
    w.uint32(key(1, LEN)).fork(); // dims, packed
    for (const d of t.dims) w.int64(d);
    w.ldelim();
  }
  w.uint32(key(2, VARINT)).int32(t.dataType);
  str(w, 8, t.name);
  w.uint32(key(9, LEN)).bytes(t.rawData);
}

function encodeNode(w: Writer, n: Node): void {
  for (const i of n.input) str(w, 1, i);
  for (const o of n.output) str(w, 2, o);
  str(w, 3, n.output[0] ?? n.opType); // node name: unique because every output name is
  str(w, 4, n.opType);
  for (const [name, value] of n.attributes) {
    sub(w, 5, (a) => {
      str(a, 1, name);
      a.uint32(key(3, VARINT)).int64(value);
      a.uint32(key(20, VARINT)).int32(ATTRIBUTE_TYPE_INT);
    });
  }
}

function encodeValueInfo(w: Writer, v: ValueInfo): void {
  str(w, 1, v.name);
  sub(w, 2, (type) =>
    sub(type, 1, (tensorType) => {
      tensorType.uint32(key(1, VARINT)).int32(v.elemType);
      sub(tensorType, 2, (shape) => {
        for (const d of v.dims) {
          sub(shape, 1, (dim) => {
            if (typeof d === 'number') dim.uint32(key(1, VARINT)).int64(d);
            else str(dim, 2, d);
          });
        }
      });
    }),
  );
}

function encodeModel(graph: Graph): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32(key(1, VARINT)).int64(IR_VERSION);
  str(w, 2, 'archivist-tests-tiny-model'); // producer_name
  str(w, 3, '1'); // producer_version
  str(w, 6, 'Static lexical embedding for tests; not a trained model.'); // doc_string
  sub(w, 7, (g) => {
    for (const n of graph.node) sub(g, 1, (x) => encodeNode(x, n));
    str(g, 2, graph.name);
    for (const t of graph.initializer) sub(g, 5, (x) => encodeTensor(x, t));
    for (const v of graph.input) sub(g, 11, (x) => encodeValueInfo(x, v));
    for (const v of graph.output) sub(g, 12, (x) => encodeValueInfo(x, v));
  });
  sub(w, 8, (opset) => {
    str(opset, 1, ''); // default ai.onnx domain
    opset.uint32(key(2, VARINT)).int64(OPSET);
  });
  return w.finish();
}

/** Little-endian raw_data regardless of host byte order (ONNX requires LE). */
function floatTensor(name: string, dims: number[], values: ArrayLike<number>): Tensor {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] ?? 0, true);
  return { name, dims, dataType: DT.FLOAT, rawData: bytes };
}

function int64Tensor(name: string, dims: number[], values: readonly bigint[]): Tensor {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => {
    view.setBigInt64(i * 8, v, true);
  });
  return { name, dims, dataType: DT.INT64, rawData: bytes };
}

function int8Tensor(name: string, dims: number[], values: Int8Array): Tensor {
  return { name, dims, dataType: DT.INT8, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

function node(opType: string, input: string[], output: string[], attributes: [string, number][] = []): Node {
  return { opType, input, output, attributes };
}

function valueInfo(name: string, elemType: number, dims: (number | string)[]): ValueInfo {
  return { name, elemType, dims };
}

function buildOnnx(table: Float32Array, vocabSize: number, dim: number, quantized: boolean, contextualCls: boolean): Uint8Array {
  const nodes: Node[] = [];
  const initializers: Tensor[] = [];
  const W = 'embeddings.word_embeddings.weight';
  const tokenEmb = contextualCls ? 'token_embeddings' : 'last_hidden_state';

  if (quantized) {
    // Gather on int8 rows, then dequantize only the gathered rows: the same shape of graph that
    // onnxruntime's dynamic quantizer emits for an embedding table.
    const { q, scale } = quantize(table);
    initializers.push(
      int8Tensor(`${W}_quantized`, [vocabSize, dim], q),
      floatTensor(`${W}_scale`, [], [scale]),
      int8Tensor(`${W}_zero_point`, [], new Int8Array([0])),
    );
    nodes.push(
      node('Gather', [`${W}_quantized`, 'input_ids'], ['token_embeddings_int8'], [['axis', 0]]),
      node('DequantizeLinear', ['token_embeddings_int8', `${W}_scale`, `${W}_zero_point`], [tokenEmb]),
    );
  } else {
    initializers.push(floatTensor(W, [vocabSize, dim], table));
    nodes.push(node('Gather', [W, 'input_ids'], [tokenEmb], [['axis', 0]]));
  }

  if (contextualCls) {
    // last_hidden_state = concat(masked_mean(token_embeddings), token_embeddings[:, 1:]) on axis 1.
    // Opset 13 takes Unsqueeze/ReduceSum axes and Slice bounds as tensor inputs, hence the constants.
    initializers.push(
      int64Tensor('axis_1', [1], [1n]),
      int64Tensor('axis_2', [1], [2n]),
      int64Tensor('slice_start', [1], [1n]),
      int64Tensor('slice_end', [1], [0x7fffffffffffffffn]),
      floatTensor('one', [], [1]),
    );
    nodes.push(
      node('Cast', ['attention_mask'], ['mask_float'], [['to', DT.FLOAT]]),
      node('Unsqueeze', ['mask_float', 'axis_2'], ['mask_3d']),
      node('Mul', [tokenEmb, 'mask_3d'], ['masked_embeddings']),
      node('ReduceSum', ['masked_embeddings', 'axis_1'], ['summed'], [['keepdims', 1]]),
      node('ReduceSum', ['mask_3d', 'axis_1'], ['token_count'], [['keepdims', 1]]),
      node('Max', ['token_count', 'one'], ['token_count_safe']), // all-padding row → no 0/0
      node('Div', ['summed', 'token_count_safe'], ['sentence_mean']),
      node('Slice', [tokenEmb, 'slice_start', 'slice_end', 'axis_1'], ['rest_embeddings']),
      node('Concat', ['sentence_mean', 'rest_embeddings'], ['last_hidden_state'], [['axis', 1]]),
    );
  }

  return encodeModel({
    name: 'tiny_static_embedding',
    node: nodes,
    initializer: initializers,
    // Transformers.js feeds only the inputs the session declares (models.js encoderForward), so no
    // token_type_ids. attention_mask is declared even when unused so the signature matches BERT exports.
    input: [
      valueInfo('input_ids', DT.INT64, ['batch_size', 'sequence_length']),
      valueInfo('attention_mask', DT.INT64, ['batch_size', 'sequence_length']),
    ],
    output: [valueInfo('last_hidden_state', DT.FLOAT, ['batch_size', 'sequence_length', dim])],
  });
}

// ---------------------------------------------------------------------------------------------------
// Tokenizer / config JSON

function tokenizerJson(vocab: Vocab): unknown {
  const vocabMap: Record<string, number> = {};
  vocab.tokens.forEach((t, i) => {
    vocabMap[t] = i;
  });
  const special = (id: string, type_id: number) => ({ SpecialToken: { id, type_id } });
  const sequence = (id: 'A' | 'B', type_id: number) => ({ Sequence: { id, type_id } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: true, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special('[CLS]', 0), sequence('A', 0), special('[SEP]', 0)],
      pair: [special('[CLS]', 0), sequence('A', 0), special('[SEP]', 0), sequence('B', 1), special('[SEP]', 1)],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [CLS_ID], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [SEP_ID], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: vocabMap,
    },
  };
}

function tokenizerConfigJson(): unknown {
  return {
    clean_up_tokenization_spaces: true,
    cls_token: '[CLS]',
    do_basic_tokenize: true,
    do_lower_case: true,
    mask_token: '[MASK]',
    model_max_length: 512,
    never_split: null,
    pad_token: '[PAD]',
    sep_token: '[SEP]',
    strip_accents: null,
    tokenize_chinese_chars: true,
    tokenizer_class: 'BertTokenizer',
    unk_token: '[UNK]',
  };
}

function configJson(modelId: string, dim: number, vocabSize: number): unknown {
  return {
    _name_or_path: modelId,
    architectures: ['BertModel'],
    model_type: 'bert',
    hidden_size: dim,
    // No transformer layers: the graph is a lookup table. Heads must still divide hidden_size.
    num_hidden_layers: 0,
    num_attention_heads: 1,
    intermediate_size: dim,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0,
    attention_probs_dropout_prob: 0,
    max_position_embeddings: 512,
    type_vocab_size: 2,
    vocab_size: vocabSize,
    initializer_range: 0.02,
    layer_norm_eps: 1e-12,
    pad_token_id: PAD_ID,
    position_embedding_type: 'absolute',
    torch_dtype: 'float32',
    transformers_version: '4.40.0',
  };
}

// ---------------------------------------------------------------------------------------------------
// Files

function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/**
 * Skips identical files (keeps mtimes stable) and otherwise writes via temp file + rename, so parallel
 * test workers generating the same model never observe a half-written file.
 */
async function writeIfChanged(file: string, bytes: Uint8Array): Promise<void> {
  try {
    if (sameBytes(await readFile(file), bytes)) return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
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
  const vocabSize = vocab.tokens.length;
  const dir = path.join(modelDir, ...modelId.split('/'));

  const files: [string, Uint8Array][] = [
    ['config.json', jsonBytes(configJson(modelId, dim, vocabSize))],
    ['tokenizer.json', jsonBytes(tokenizerJson(vocab))],
    ['tokenizer_config.json', jsonBytes(tokenizerConfigJson())],
    ['onnx/model.onnx', buildOnnx(table, vocabSize, dim, false, contextualCls)],
    ['onnx/model_quantized.onnx', buildOnnx(table, vocabSize, dim, true, contextualCls)],
  ];
  await Promise.all(files.map(([name, bytes]) => writeIfChanged(path.join(dir, name), bytes)));
  return { modelId, dim, dir };
}
