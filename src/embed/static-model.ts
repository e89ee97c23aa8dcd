/**
 * Writes a static-embedding model (one vector per vocabulary token, mean-pooled by the embedder) in the
 * Transformers.js local-model layout, so it loads through the same `pipeline('feature-extraction', …)`
 * code (tokenizer + ONNX Runtime) as a downloaded model:
 *   <dir>/config.json, tokenizer.json, tokenizer_config.json
 *   <dir>/onnx/model.onnx            float32 table (Gather)
 *   <dir>/onnx/model_quantized.onnx  int8 table + DequantizeLinear
 * Used by the index build for a model trained on the corpus (src/embed/train.ts) and by the tests'
 * tiny model. The tokenizer is BERT's (normalizer, pre-tokenizer, WordPiece) over the given vocabulary.
 */
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
// protobufjs is CommonJS: the default import is module.exports; the type comes separately.
import { makeFolder } from '../storage/make-folder.js';
import protobuf from 'protobufjs/minimal.js';
import type { Writer } from 'protobufjs/minimal.js';

/** Every vocabulary starts with these, at these ids. */
export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
export const PAD_ID = 0;
export const UNK_ID = 1;
export const CLS_ID = 2;
export const SEP_ID = 3;

/** ONNX TensorProto.DataType values we use. */
const DT = { FLOAT: 1, INT8: 3, INT64: 7 } as const;
const OPSET = 13;
/** IR 8 is the newest onnxruntime 1.14 understands (ONNX 1.13); opset 13 keeps every op we use simple. */
const IR_VERSION = 8;

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

function encodeModel(graph: Graph, about: { producer: string; doc: string }): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32(key(1, VARINT)).int64(IR_VERSION);
  str(w, 2, about.producer); // producer_name
  str(w, 3, '1'); // producer_version
  str(w, 6, about.doc); // doc_string
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

function buildOnnx(table: Float32Array, vocabSize: number, dim: number, quantized: boolean, contextualCls: boolean, about: { producer: string; doc: string }): Uint8Array {
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
  }, about);
}

// ---------------------------------------------------------------------------------------------------
// Tokenizer / config JSON

function tokenizerJson(tokens: readonly string[]): unknown {
  const vocabMap: Record<string, number> = {};
  tokens.forEach((t, i) => {
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

export function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/**
 * Skips identical files (keeps mtimes stable) and otherwise writes via temp file + rename, so parallel
 * test workers generating the same model never observe a half-written file.
 */
export async function writeIfChanged(file: string, bytes: Uint8Array): Promise<void> {
  try {
    if (sameBytes(await readFile(file), bytes)) return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await makeFolder(path.dirname(file));
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

export interface StaticModel {
  /** "name" or "org/name": the id Transformers.js is asked for (the folder under MODEL_DIR). */
  modelId: string;
  /** The vocabulary, SPECIAL_TOKENS first; whole words, or WordPiece pieces ("##s"). */
  tokens: readonly string[];
  /** tokens.length × dim, row-major. */
  table: Float32Array;
  dim: number;
  /** Position 0 of last_hidden_state is the masked mean (for `pooling: 'cls'`); else one Gather. */
  contextualCls?: boolean;
  producer: string;
  doc: string;
}

/** The files of a static model, by path relative to its folder. Same input → same bytes. */
export function staticModelFiles(model: StaticModel): Array<[string, Uint8Array]> {
  const { modelId, tokens, table, dim } = model;
  if (table.length !== tokens.length * dim) throw new Error(`static model ${modelId}: table has ${table.length} values, expected ${tokens.length} × ${dim}`);
  SPECIAL_TOKENS.forEach((t, i) => {
    if (tokens[i] !== t) throw new Error(`static model ${modelId}: token ${i} must be ${t}`);
  });
  const about = { producer: model.producer, doc: model.doc };
  const contextualCls = model.contextualCls ?? false;
  return [
    ['config.json', jsonBytes(configJson(modelId, dim, tokens.length))],
    ['tokenizer.json', jsonBytes(tokenizerJson(tokens))],
    ['tokenizer_config.json', jsonBytes(tokenizerConfigJson())],
    ['onnx/model.onnx', buildOnnx(table, tokens.length, dim, false, contextualCls, about)],
    ['onnx/model_quantized.onnx', buildOnnx(table, tokens.length, dim, true, contextualCls, about)],
  ];
}

/** Writes the model into `dir` (skipping files that already hold the same bytes). */
export async function writeStaticModel(dir: string, model: StaticModel): Promise<void> {
  await Promise.all(staticModelFiles(model).map(([name, bytes]) => writeIfChanged(path.join(dir, name), bytes)));
}
