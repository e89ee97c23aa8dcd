/**
 * Burst benchmark: N distinct users send `/ask` at once to the real bot process, over the local
 * Discord stand-in, on a prebuilt index. Prints acknowledgement and answer latency percentiles, the
 * last answer's time, throughput and the bot's RSS, as one JSON object (and a readable summary on stderr).
 *
 *   npm run index -- --corpus ../shared/corpus/news-2022.jsonl --out /tmp/burst-index --lexical-only
 *   nice npx tsx bench/burst.ts --index /tmp/burst-index [--users 200] [--root OTHER_CHECKOUT] [--workers N]
 *
 * `--root` runs another checkout's bot (e.g. main before a change) with this harness.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { BotProcess, cleanEnv } from '../tests/support/bot-process.js';
import { FakeDiscord, type RecordedRequest, type SentInteraction } from '../tests/support/fake-discord.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2Nzg.GbUrSt.burst-bench-token-0123456789abcdef';

const opts = new Command()
  .option('--index <dir>', 'prebuilt index folder', '/tmp/burst-index')
  .option('--users <n>', 'distinct users in the burst', '200')
  .option('--root <dir>', 'checkout whose bot to run', ROOT)
  .option('--script <path>', 'bot entry, relative to --root', 'src/bot/main.ts')
  .option('--workers <n>', 'SEARCH_WORKERS (ignored by bots without a pool)')
  .option('--node-args <args>', 'extra node options for the bot, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"')
  .option('--questions <file>', 'JSONL of {"question"}', path.join(ROOT, 'eval/questions/news2022-questions.jsonl'))
  .parse()
  .opts<{ index: string; users: string; root: string; script: string; workers?: string; nodeArgs?: string; questions: string }>();

const users = Number(opts.users);
const questions = readFileSync(opts.questions, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => (JSON.parse(l) as { question: string }).question);

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
};

/** User + system CPU time of a process (all its threads), in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  // utime and stime are fields 14 and 15 of /proc/PID/stat (12 and 13 after the command name), in clock ticks (100/s).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rssMb(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

const tmp = await mkdtemp(path.join(os.tmpdir(), 'archivist-burst-'));
const fake = await FakeDiscord.start({ token: TOKEN });
fake.setMaxListeners(0);
const env = cleanEnv({
  DISCORD_TOKEN: TOKEN,
  DISCORD_CLIENT_ID: fake.applicationId,
  DISCORD_GUILD_ID: fake.guildId,
  DISCORD_API_URL: fake.url,
  INDEX_DIR: opts.index,
  CORPUS_PATHS: path.join(tmp, 'no-corpus'),
  MODEL_DIR: path.join(tmp, 'models'),
  ALLOW_REMOTE_MODELS: 'false',
  DATA_DIR: path.join(tmp, 'data'),
  LOG_LEVEL: 'info',
  LOG_FORMAT: 'json',
  ...(opts.workers ? { SEARCH_WORKERS: opts.workers } : {}),
});
const bot = new BotProcess(opts.script, env, tmp, { root: opts.root, nodeArgs: opts.nodeArgs?.split(' ').filter(Boolean) });
const isEdit = (i: SentInteraction) => (r: RecordedRequest) => r.method === 'PATCH' && r.path.endsWith(`/${i.token}/messages/@original`);
const isCallback = (i: SentInteraction) => (r: RecordedRequest) => r.method === 'POST' && r.path === `/interactions/${i.id}/${i.token}/callback`;

try {
  const startedAt = Date.now();
  await bot.waitForLog((l) => l.msg === 'ready', 180_000, 'the bot to be ready');
  const readyMs = Date.now() - startedAt;
  // One warm-up question, answered before the burst, so both runs start warm.
  const warm = fake.slash('ask', { question: questions[0]! }, fake.user('warmup'));
  await fake.waitForRequest(isEdit(warm), 60_000, 'the warm-up answer');
  const rssBefore = rssMb(bot.pid!);

  let peak = rssBefore.rss;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(bot.pid!).rss)), 100);
  const cpuBefore = cpuMs(bot.pid!);
  const burstStart = Date.now();
  const sent: SentInteraction[] = [];
  for (let n = 0; n < users; n++) sent.push(fake.slash('ask', { question: questions[(n + 1) % questions.length]! }, fake.user(`user${n}`)));
  const acks = await Promise.all(sent.map((i) => fake.waitForRequest(isCallback(i), 300_000, `ack of ${i.id}`)));
  const edits = await Promise.all(sent.map((i) => fake.waitForRequest(isEdit(i), 600_000, `answer to ${i.id}`)));
  clearInterval(sampler);
  const cpuPerAnswer = Math.round((cpuMs(bot.pid!) - cpuBefore) / users);
  const rssAfter = rssMb(bot.pid!);

  const ackMs = acks.map((r, n) => r.at - sent[n]!.sentAt);
  const answerMs = edits.map((r) => r.at - burstStart);
  const last = Math.max(...answerMs);
  // Order check: Spearman-like share of answers that came after the one sent before them.
  let inOrder = 0;
  for (let n = 1; n < edits.length; n++) if (edits[n]!.at >= edits[n - 1]!.at) inOrder++;
  const result = {
    root: opts.root,
    users,
    readyMs,
    ack: { p50: pct(ackMs, 50), p99: pct(ackMs, 99), max: Math.max(...ackMs) },
    answer: { p50: pct(answerMs, 50), p99: pct(answerMs, 99), last },
    // When the answers came: a burst served at a steady rate has evenly spaced deciles.
    answerDeciles: [10, 20, 30, 40, 50, 60, 70, 80, 90].map((p) => pct(answerMs, p)),
    answerP50OverLast: Math.round((pct(answerMs, 50) / last) * 100) / 100,
    inOrderShare: Math.round((inOrder / (edits.length - 1)) * 100) / 100,
    throughputPerS: Math.round((users / (last / 1000)) * 10) / 10,
    // CPU the bot spent per answer (all threads): comparable across runs on a busy machine.
    cpuMsPerAnswer: cpuPerAnswer,
    loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10),
    rssMb: { beforeBurst: Math.round(rssBefore.rss), peakSampled: Math.round(peak), afterBurst: Math.round(rssAfter.rss), hwm: Math.round(rssAfter.hwm) },
  };
  process.stderr.write(
    `${users} users: ack p50 ${result.ack.p50} ms, p99 ${result.ack.p99} ms; answer p50 ${result.answer.p50} ms, p99 ${result.answer.p99} ms, ` +
      `last ${last} ms (p50/last ${result.answerP50OverLast}); ${result.throughputPerS} answers/s, ${cpuPerAnswer} CPU-ms each; load ${result.loadAverage.join(' ')}; RSS peak ${result.rssMb.peakSampled} MB (HWM ${result.rssMb.hwm} MB)\n`,
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await bot.stop('SIGTERM');
  await fake.close();
  await rm(tmp, { recursive: true, force: true });
}
