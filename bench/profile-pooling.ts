/** Embedding time per passage of the tiny 384-dim model with POOL=mean|cls (profile with node --cpu-prof --import tsx bench/profile-pooling.ts). */
import { readFile } from 'node:fs/promises';
import { loadCoreConfig } from '../src/config.js';
import { loadEmbedder } from '../src/embed/load.js';
import { createTinyModel } from '../tests/support/tiny-model.js';
const lines = (await readFile('../shared/corpus/news-2022.jsonl', 'utf8')).split('\n').slice(0, 200);
const texts = lines.map((l) => (JSON.parse(l) as { text: string }).text.split(/\s+/).slice(0, 180).join(' '));
const m = await createTinyModel(`${process.env.TMPDIR ?? '/tmp'}/archivist-pooling-profile`, { dim: 384, modelId: `x/p` });
const r = await loadEmbedder(loadCoreConfig({ MODEL_DIR: `${process.env.TMPDIR ?? '/tmp'}/archivist-pooling-profile`, EMBEDDING_MODEL: m.modelId, ALLOW_REMOTE_MODELS: 'false', EMBEDDING_POOLING: process.env.POOL as 'cls' }));
const t = performance.now();
if ('error' in r) throw new Error(r.error);
for (let b = 0; b < 128; b += 32) await r.embedder.embedPassages(texts.slice(b, b + 32));
console.log(process.env.POOL, (performance.now() - t) / 128, 'ms per passage');
