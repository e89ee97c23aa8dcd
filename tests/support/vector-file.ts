/** The live index's vector file, and a fault only a checksum can see in it (shared by the checksum tests). */
import { open } from 'node:fs/promises';
import path from 'node:path';
import { IndexDatabase } from '../../src/storage/database.js';
import { resolveIndex } from '../../src/storage/folder.js';
import { META } from '../../src/storage/schema.js';

/** The live database of an index folder and its vector file (path and name). */
export async function liveVectors(out: string): Promise<{ file: string; vectors: string; name: string }> {
  const { file } = await resolveIndex(out);
  const db = IndexDatabase.open(file, { readonly: true });
  try {
    const name = db.meta<string>(META.vectorsFile)!;
    return { file, vectors: path.join(out, name), name };
  } finally {
    db.close();
  }
}

/**
 * Flips the lowest bit of one float of the middle element's vector (a change of about one part in
 * ten million): the file keeps its size and hnswlib's layout, so nothing but a checksum can tell.
 */
export async function flipVectorByte(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    const head = Buffer.alloc(96);
    await handle.read(head, 0, 96, 0);
    const elements = Number(head.readBigUInt64LE(16));
    const perElement = Number(head.readBigUInt64LE(24));
    const offsetData = Number(head.readBigUInt64LE(40));
    const at = 96 + Math.floor(elements / 2) * perElement + offsetData + 4;
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, at);
    byte[0]! ^= 0x01;
    await handle.write(byte, 0, 1, at);
  } finally {
    await handle.close();
  }
}
