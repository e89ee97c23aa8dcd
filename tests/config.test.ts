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

  it('a blank value is unset, as an empty one is (a number setting read it as 0: "HNSW_M: must be at least 4")', () => {
    expect(loadCoreConfig({ HNSW_M: '  ', EMBED_PROCESSES: '\t', DATE_ORDER: ' ' })).toMatchObject({ HNSW_M: 16, EMBED_PROCESSES: 0, DATE_ORDER: 'mdy' });
  });

  it('CORPUS_PATHS that names no path (",", " , ") is refused naming the variable, not built as "No articles found in ."', () => {
    for (const value of [',', ' , ,']) {
      expect(() => loadCoreConfig({ CORPUS_PATHS: value })).toThrow(/^Invalid configuration:\nCORPUS_PATHS: names no file or folder: give comma-separated corpus files or folders/);
    }
    expect(loadCoreConfig({ CORPUS_PATHS: 'a, b,' }).CORPUS_PATHS).toBe('a, b,');
  });
});
