import { describe, expect, it } from 'vitest';
import { refusalReason, refusedAsChat, refusedByRule } from '../src/search/postprocess/abstain.js';
import { chatKind } from '../src/search/ranker/chat.js';

// Made-up messages, none from any question set.
describe('chat told from questions about the news', () => {
  it('names greetings, thanks and talk about the bot', () => {
    expect(chatKind('hey bot')).toBe('social');
    expect(chatKind('morning all!')).toBe('social');
    expect(chatKind('thank you so much')).toBe('social');
    expect(chatKind('do you like jazz')).toBe('bot');
    expect(chatKind('what do you think of the new stadium')).toBe('bot');
    expect(chatKind('are you awake')).toBe('bot');
    expect(chatKind('what is the capital of peru, bot?')).toBe('bot');
    expect(chatKind('hey 🙂')).toBe('social');
    expect(chatKind('???')).toBe('social');
    expect(chatKind('hello, anybody there?')).toBe('social');
    expect(chatKind('lol thats so true')).toBe('social');
    expect(chatKind('wow, no way')).toBe('social');
    // Its life: the bot has none, and a passage matching those words is no answer.
    expect(chatKind('when is your birthday')).toBe('bot');
    expect(chatKind('who are your developers')).toBe('bot');
  });

  it('names requests for services other than finding articles', () => {
    expect(chatKind('translate good night into polish')).toBe('request');
    expect(chatKind('can you write a limerick about my cat')).toBe('request');
    expect(chatKind('please book me a table for two')).toBe('request');
    expect(chatKind('switch the porch lamp off')).toBe('request');
    expect(chatKind('turn up the volume in the den')).toBe('request');
    expect(chatKind('remind me to water the ferns')).toBe('request');
  });

  it('names personal questions, tonight and tomorrow, and everyday know-how', () => {
    expect(chatKind('should i repaint the fence before winter')).toBe('personal');
    expect(chatKind('what town did your grandpa live in')).toBe('personal');
    expect(chatKind('my laptop fan is so loud any fix')).toBe('personal');
    expect(chatKind('is the ferry running tomorrow')).toBe('now');
    expect(chatKind('is it safe to freeze cooked pasta')).toBe('advice');
    expect(chatKind('which is better, tea or coffee')).toBe('advice');
    expect(chatKind('cheap car rental near the airport?')).toBe('advice');
  });

  it('leaves questions about reported events alone, with fillers, reporting verbs and requests to find', () => {
    for (const q of [
      'who chaired the inquiry into the harbour fire',
      'hey bot, how many workers went on strike at the port',
      'quick q: when did the mayor resign',
      'i heard the dam was damaged, what happened',
      'i read that the minister quit, who replaced him',
      'can you find the story about the grain convoy',
      'can you tell me who won the regional vote',
      'help me find that piece on energy bills',
      'my friend says the bank raised rates, did it?',
      'do you have anything on the rail strike',
      'i need that report on the bridge repairs',
      'where can i read about the new sanctions',
      'show what the general said about the offensive',
      'when did the Artemis I rocket launch',
      'which country left World War I first',
      'what did the minister tell your reporters about the strike',
      'when did the turnout figures come in',
      'how many households had their power turned off',
      'how will the fuel cap help your family this winter',
      'switch off date for the old radio masts?',
      'turn off the taps: when did the water company ban hosepipes',
    ]) {
      expect(chatKind(q), q).toBeUndefined();
    }
  });
});

describe('chat refusals', () => {
  const answered = { coverage: 0.9, topic: { topicality: 12, words: [] } };

  it('refuses talk to the bot whatever the match, and personal or how-to questions unless the match is strong', () => {
    expect(refusedAsChat({ chat: 'social', confident: true })).toBe(true);
    expect(refusedAsChat({ chat: 'request', confident: true })).toBe(true);
    expect(refusedAsChat({ chat: 'personal', confident: false })).toBe(true);
    expect(refusedAsChat({ chat: 'personal', confident: true })).toBe(false);
    expect(refusedAsChat({ chat: 'advice', confident: true })).toBe(false);
    // A strong match on everyday words alone does not answer a how-to question; one on the corpus's own words may.
    expect(refusedAsChat({ chat: 'advice', confident: true, topic: { topicality: 6.9, words: ['juggle'] } })).toBe(true);
    expect(refusedAsChat({ chat: 'personal', confident: true, topic: { topicality: 13, words: ['visa', 'ruritania'] } })).toBe(false);
    expect(refusedAsChat({ confident: false })).toBe(false);
    expect(refusedByRule({ ...answered, chat: 'bot', confident: true })).toBe(true);
    expect(refusedByRule({ ...answered, confident: false })).toBe(false);
  });

  it('says why, in words the asker can act on', () => {
    expect(refusalReason({ ...answered, chat: 'request' })).toMatch(/find and quote news articles/);
    expect(refusalReason({ ...answered, chat: 'social' })).toMatch(/ask about an event, a person or a place/);
    expect(refusalReason({ ...answered, chat: 'now', confident: false })).toMatch(/tomorrow/);
  });
});
