import { readFile } from 'node:fs/promises';

/**
 * Checks that a file is a whole ONNX model before ONNX Runtime sees it: an empty or cut-off
 * download, a Git LFS pointer or a saved error page is named here, with what to do, instead of
 * ONNX Runtime's "protobuf parsing failed" (and Transformers.js's retry of the same bytes).
 *
 * The check walks the top-level fields of the protobuf (ModelProto): every field must have a known
 * wire type and fit in the file, the last one must end at the file's end, and the graph (field 7)
 * must be there. It does not check the graph itself.
 * Returns undefined when the file looks whole, else why not (one short phrase).
 */
export async function onnxFileProblem(file: string): Promise<string | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    return `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
  return onnxBytesProblem(bytes);
}

const GRAPH_FIELD = 7;

export function onnxBytesProblem(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return 'the model file is empty';
  const head = Buffer.from(bytes.subarray(0, 64)).toString('latin1');
  if (head.startsWith('version https://git-lfs')) return 'the model file is a Git LFS pointer, not the weights (fetch it with git lfs pull)';
  if (/^\s*</.test(head)) return 'the model file is a web page, not an ONNX model (download it again)';
  let pos = 0;
  let graph = false;
  const varint = (): number | undefined => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= bytes.length) return undefined;
      const b = bytes[pos++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    return undefined;
  };
  while (pos < bytes.length) {
    const tag = varint();
    if (tag === undefined) return 'the model file is cut off (download it again)';
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field === 0) return 'the model file is not an ONNX model';
    if (wire === 0) {
      if (varint() === undefined) return 'the model file is cut off (download it again)';
    } else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4;
    } else if (wire === 2) {
      const length = varint();
      if (length === undefined) return 'the model file is cut off (download it again)';
      if (field === GRAPH_FIELD && length > 0) graph = true;
      pos += length;
    } else {
      return 'the model file is not an ONNX model';
    }
    if (pos > bytes.length) return 'the model file is cut off (download it again)';
  }
  return graph ? undefined : 'the model file holds no graph (not an ONNX model)';
}
