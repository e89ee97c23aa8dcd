import { describe, expect, it } from 'vitest';
import { loadCoreConfig } from '../src/config.js';

describe('core settings', () => {
  it('reads yes/no settings however they are capitalised or spaced, and names the variable of a bad one', () => {
    expect(loadCoreConfig({ RELATED_WORDS: 'TRUE', MODEL_QUANTIZED: ' No ', ALLOW_REMOTE_MODELS: 'Yes' })).toMatchObject({ RELATED_WORDS: true, MODEL_QUANTIZED: false, ALLOW_REMOTE_MODELS: true });
    expect(loadCoreConfig({})).toMatchObject({ RELATED_WORDS: false, MODEL_QUANTIZED: true });
    expect(() => loadCoreConfig({ RELATED_WORDS: 'maybe' })).toThrow(/RELATED_WORDS/);
  });

  it('says the range of a number setting given letters', () => {
    expect(() => loadCoreConfig({ MODEL_LOAD_TIMEOUT_MS: 'ten' })).toThrow(/MODEL_LOAD_TIMEOUT_MS.*must be a whole number from \d+ to \d+/);
  });
});
