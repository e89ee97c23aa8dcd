/** How a sentence-embedding model wants its input and output treated. */
export interface ModelProfile {
  pooling: 'mean' | 'cls';
  /** Prepended to questions (bge, e5 are trained with an instruction on the query side). */
  queryPrefix: string;
  passagePrefix: string;
}

const BGE_QUERY = 'Represent this sentence for searching relevant passages: ';

/** Known models; others default to mean pooling without prefixes unless configured. */
const PROFILES: Record<string, ModelProfile> = {
  'Xenova/bge-small-en-v1.5': { pooling: 'cls', queryPrefix: BGE_QUERY, passagePrefix: '' },
  'Xenova/bge-base-en-v1.5': { pooling: 'cls', queryPrefix: BGE_QUERY, passagePrefix: '' },
  'Xenova/bge-large-en-v1.5': { pooling: 'cls', queryPrefix: BGE_QUERY, passagePrefix: '' },
  'Xenova/all-MiniLM-L6-v2': { pooling: 'mean', queryPrefix: '', passagePrefix: '' },
  'Xenova/all-MiniLM-L12-v2': { pooling: 'mean', queryPrefix: '', passagePrefix: '' },
  'Xenova/e5-small-v2': { pooling: 'mean', queryPrefix: 'query: ', passagePrefix: 'passage: ' },
  'Xenova/e5-base-v2': { pooling: 'mean', queryPrefix: 'query: ', passagePrefix: 'passage: ' },
};

export function modelProfile(
  modelId: string,
  overrides: { pooling?: 'mean' | 'cls'; queryPrefix?: string; passagePrefix?: string } = {},
): ModelProfile {
  const base = PROFILES[modelId] ?? { pooling: 'mean', queryPrefix: '', passagePrefix: '' };
  return {
    pooling: overrides.pooling ?? base.pooling,
    queryPrefix: overrides.queryPrefix ?? base.queryPrefix,
    passagePrefix: overrides.passagePrefix ?? base.passagePrefix,
  };
}
