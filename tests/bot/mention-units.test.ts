/** The small parts of asking in messages: question-like messages, ask channel settings, thread chains, intents. */
import { GatewayIntentBits } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { isQuestionLike } from '../../src/bot/ask-channels.js';
import { gatewayIntents } from '../../src/bot/client.js';
import { loadBotConfig } from '../../src/bot/config.js';
import { headingLine } from '../../src/bot/format.js';
import { forumQuestion, threadName } from '../../src/bot/messages.js';
import { startupFailure } from '../../src/bot/startup-errors.js';
import { chainAfter, questionOfAnswer, ThreadChains } from '../../src/bot/threads.js';

const VALID = { DISCORD_TOKEN: 'aaa.bbb.ccc', DISCORD_CLIENT_ID: '123456789012345678' };

describe('question-like messages', () => {
  it('ends with "?" or starts with a question word or a yes/no verb', () => {
    for (const q of ['When did the evacuation begin', 'what about Mykolaiv?', 'Is the bridge still standing', 'did Saldo leave', 'Kherson was retaken when?', '  "Who said that?"', 'Can you find the source for this?', 'and when did that happen?']) {
      expect(isQuestionLike(q), q).toBe(true);
    }
  });

  it('leaves chat alone', () => {
    for (const q of ['thanks!', 'lol', 'Saldo urged residents to leave.', 'see above', '???', '', '<@123456789012345678>', 'Whatever you say', 'Island trip tomorrow']) {
      expect(isQuestionLike(q), q).toBe(false);
    }
  });
});

describe('ASK_CHANNEL_IDS', () => {
  it('is a comma-separated list of channel ids, empty by default', () => {
    expect(loadBotConfig(VALID).ASK_CHANNEL_IDS).toEqual([]);
    expect(loadBotConfig({ ...VALID, ASK_CHANNEL_IDS: ' 123456789012345678 ,223456789012345678, ' }).ASK_CHANNEL_IDS).toEqual(['123456789012345678', '223456789012345678']);
  });

  it('rejects anything else with an error naming the variable and how to get an id', () => {
    expect(() => loadBotConfig({ ...VALID, ASK_CHANNEL_IDS: '#general' })).toThrow(/^ASK_CHANNEL_IDS\.0: must be comma-separated channel IDs.*Copy Channel ID/m);
  });
});

describe('gateway intents', () => {
  it('Guilds and GuildMessages; Message Content only when asked for', () => {
    expect(gatewayIntents(false)).toEqual([GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages]);
    expect(gatewayIntents(true)).toEqual([GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent]);
  });

  it('a 4014 close names the Message Content fix when that intent was requested', () => {
    const config = { DISCORD_API_URL: undefined, CORPUS_PATHS: 'corpus', INDEX_DIR: 'embeddings' };
    const err = new Error('Used disallowed intents');
    expect(startupFailure(err, config, { messageContent: true }).message).toMatch(/Message Content intent \(close code 4014\).*Developer Portal.*or unset ASK_CHANNEL_IDS/);
    expect(startupFailure(err, config).message).toMatch(/needs none of the privileged ones/);
  });
});

describe('thread chains', () => {
  it('read the question back from an answer heading, markdown escapes undone', () => {
    const heading = headingLine('Question:', 'What did **Saldo** urge Kherson_residents to do?');
    expect(questionOfAnswer(`${heading}\n-# Strong match`)).toBe('What did **Saldo** urge Kherson_residents to do?');
    expect(questionOfAnswer('just a message')).toBeUndefined();
  });

  it('keep the newest questions first, at most three, and restart on a new topic', () => {
    expect(chainAfter('c', ['b', 'a'], { used: ['b'], terms: ['x'], topicChange: false })).toEqual(['c', 'b', 'a']);
    expect(chainAfter('d', ['c', 'b', 'a'], undefined)).toEqual(['d', 'c', 'b']);
    expect(chainAfter('w', ['c', 'b'], { used: [], terms: [], topicChange: true })).toEqual(['w']);
  });

  it('are bounded, dropping the least recently used', () => {
    const chains = new ThreadChains(2);
    chains.set('1', ['a']);
    chains.set('2', null);
    expect(chains.get('1')).toEqual(['a']); // now the most recent
    chains.set('3', ['c']);
    expect(chains.get('2')).toBeUndefined();
    expect(chains.get('1')).toEqual(['a']);
    expect(chains.get('3')).toEqual(['c']);
  });
});

describe('thread names and forum questions', () => {
  it('names a thread from its question within 100 characters', () => {
    expect(threadName('What did Saldo urge Kherson residents to do?')).toBe('What did Saldo urge Kherson residents to do?');
    expect(threadName('word '.repeat(40)).length).toBeLessThanOrEqual(100);
  });

  it('asks a forum post by its title and text, within the question limit', () => {
    expect(forumQuestion('Kherson evacuation', 'What did Saldo urge residents to do?')).toBe('Kherson evacuation: What did Saldo urge residents to do?');
    expect(forumQuestion('What did Saldo urge residents to do?', '')).toBe('What did Saldo urge residents to do?');
    expect(forumQuestion('Saldo', 'Saldo urged what?')).toBe('Saldo urged what?');
    expect(forumQuestion('T', 'x '.repeat(400)).length).toBeLessThanOrEqual(500);
  });
});
