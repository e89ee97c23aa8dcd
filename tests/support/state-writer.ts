/**
 * A real process writing to a bot state file, as one shard of a sharded bot does: logs N questions
 * with a vote each and changes a setting, then prints `done`. For the store's concurrency test.
 * Usage: node --import tsx tests/support/state-writer.ts DATA_DIR NAME N
 */
import { BotState } from '../../src/bot/state/store.js';

const [dataDir, name, count] = process.argv.slice(2);
const state = BotState.open(dataDir!, { adminRoleIds: [], rateLimitMax: 5, rateLimitWindowSeconds: 60, visibility: 'public' }, { importLegacy: true });
for (let i = 0; i < Number(count); i++) {
  const id = state.logQuestion({ guildId: '222222222222222222', channelId: null, kind: 'ask', question: `${name} question ${i}`, filters: {}, answered: i % 2 === 0 });
  state.recordVote({ questionId: id, offset: 0, userId: `1000000000000000${String(i % 100).padStart(2, '0')}`, vote: 'up', results: [] });
  if (i % 50 === 0) state.setRateLimit(`3${String(i).padStart(17, '0')}`, 1 + i, 60);
}
state.close();
process.stdout.write('done\n');
