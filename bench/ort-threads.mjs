// Shows why embedding models run in one long-lived model thread (src/embed/model-thread.ts):
// ONNX Runtime's Node binding (1.14) corrupts the heap when a thread loads it after another thread
// that loaded it has ended.
//   node bench/ort-threads.mjs MODEL.onnx [workers=1] [rounds=5]
// Each round starts the workers, each loads onnxruntime-node and opens a session on MODEL.onnx,
// then ends them. One round passes; from the second round on the process usually dies
// (free(): invalid pointer, segmentation fault, abort). Run it ~20 times and count exit codes:
//   for i in $(seq 20); do node bench/ort-threads.mjs M.onnx 1 5 >/dev/null 2>&1; echo $?; done | sort | uniq -c
// (a model to use: `npx tsx bench/standin-model.ts` or the tests' tiny model, tests/support/tiny-model.ts).
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const [model, workers = '1', rounds = '5'] = process.argv.slice(2);
if (!model) {
  console.error('usage: node bench/ort-threads.mjs MODEL.onnx [workers] [rounds]');
  process.exit(2);
}
const ort = createRequire(import.meta.url).resolve('onnxruntime-node');
// The main thread holds the binding too, as a test process or the bot's indexer does.
await createRequire(import.meta.url)(ort).InferenceSession.create(model);
const code = `
const { parentPort } = require('node:worker_threads');
require(${JSON.stringify(ort)}).InferenceSession.create(${JSON.stringify(model)}).then(() => parentPort.postMessage('ready'));
`;
for (let round = 0; round < Number(rounds); round++) {
  const started = Array.from({ length: Number(workers) }, () => new Worker(code, { eval: true }));
  await Promise.all(started.map((w) => new Promise((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      })));
  await Promise.all(started.map((w) => w.terminate()));
}
console.log(`${rounds} rounds of ${workers} worker(s): no crash`);
