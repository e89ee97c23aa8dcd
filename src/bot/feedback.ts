import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';

export interface FeedbackRecord {
  at: string;
  vote: 'up' | 'down';
  userId: string;
  guildId: string | null;
  channelId: string | null;
  kind: string;
  question: string;
  filters: { after?: string; before?: string; outlet?: string };
  offset: number;
  mode: string;
  abstained: boolean;
  results: { rank: number; articleId: string; chunkId: number; title: string }[];
}

/** 👍/👎 votes, one JSON object per line in DATA_DIR/feedback.jsonl, for tuning ranking later. */
export class FeedbackStore {
  readonly file: string;
  // Appends are chained so concurrent votes never interleave within a line.
  private queue: Promise<void> = Promise.resolve();

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'feedback.jsonl');
  }

  record(entry: FeedbackRecord): Promise<void> {
    const write = this.queue.then(async () => {
      await mkdir(path.dirname(this.file), { recursive: true });
      await appendFile(this.file, `${JSON.stringify(entry)}\n`, 'utf8');
    });
    this.queue = write.catch(() => undefined);
    return write;
  }
}
