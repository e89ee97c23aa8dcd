import { open, type FileHandle } from 'node:fs/promises';

/**
 * Checks that a file is a whole ONNX model before ONNX Runtime sees it: an empty or cut-off
 * download, a Git LFS pointer or a saved error page is named here, with what to do, instead of
 * ONNX Runtime's "protobuf parsing failed" (and Transformers.js's retry of the same bytes).
 *
 * The check walks the top-level fields of the protobuf (ModelProto): every field must have a known
 * wire type and fit in the file, the last one must end at the file's end, and the graph (field 7)
 * must be there. It does not check the graph itself. A regular file is read only where its field
 * headers are (a few hundred bytes, not the weights: ONNX Runtime reads those next).
 * Returns undefined when the file looks whole, else why not (one short phrase).
 */
export async function onnxFileProblem(file: string): Promise<string | undefined> {
  const cannot = (err: unknown): string => `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    return cannot(err);
  }
  try {
    const stat = await handle.stat();
    // A pipe or device cannot be read at positions: read it through.
    if (!stat.isFile()) return await onnxBytesProblem(await handle.readFile());
    return await fieldsProblem(stat.size, async (pos, n) => {
      const buffer = Buffer.alloc(Math.max(0, Math.min(n, stat.size - pos)));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, pos);
      return buffer.subarray(0, bytesRead);
    });
  } catch (err) {
    return cannot(err);
  } finally {
    await handle.close();
  }
}

/** The same check on bytes in memory. */
export function onnxBytesProblem(bytes: Uint8Array): Promise<string | undefined> {
  return fieldsProblem(bytes.length, async (pos, n) => bytes.subarray(pos, pos + n));
}

const GRAPH_FIELD = 7;
const CUT = 'the model file is cut off (download it again)';

/** Walks the top-level fields of `size` bytes read through `readAt` (position, length → at most that many bytes). */
async function fieldsProblem(size: number, readAt: (pos: number, n: number) => Promise<Uint8Array>): Promise<string | undefined> {
  if (size === 0) return 'the model file is empty';
  const head = Buffer.from(await readAt(0, 64)).toString('latin1');
  if (head.startsWith('version https://git-lfs')) return 'the model file is a Git LFS pointer, not the weights (fetch it with git lfs pull)';
  if (/^\s*</.test(head)) return 'the model file is a web page, not an ONNX model (download it again)';
  let pos = 0;
  let graph = false;
  while (pos < size) {
    // A field header: its tag and (for the wire types that have one) its value or length, at most 20 bytes.
    const bytes = await readAt(pos, 20);
    let at = 0;
    const varint = (): number | undefined => {
      let value = 0;
      let scale = 1;
      for (let i = 0; i < 10 && at < bytes.length; i++) {
        const b = bytes[at++]!;
        value += (b & 0x7f) * scale;
        if (b < 0x80) return value;
        scale *= 128;
      }
      return undefined;
    };
    const tag = varint();
    if (tag === undefined) return CUT;
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field === 0) return 'the model file is not an ONNX model';
    let skip = 0;
    if (wire === 0) {
      if (varint() === undefined) return CUT;
    } else if (wire === 1 || wire === 5) {
      skip = wire === 1 ? 8 : 4;
    } else if (wire === 2) {
      const length = varint();
      if (length === undefined) return CUT;
      if (field === GRAPH_FIELD && length > 0) graph = true;
      skip = length;
    } else {
      return 'the model file is not an ONNX model';
    }
    pos += at + skip;
    if (pos > size) return CUT;
  }
  return graph ? undefined : 'the model file holds no graph (not an ONNX model)';
}
