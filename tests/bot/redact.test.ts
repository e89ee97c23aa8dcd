/**
 * A DATABASE_URL is a secret whole: every form of it (a password in the user part, percent-encoded,
 * cut by a raw "#", or as a parameter) is redacted in messages (host and database at most) and in
 * every log line, including the errors of a real failed connection; public text loses paths.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/bot/logger.js';
import { publicText } from '../../src/bot/redact.js';
import { databaseSecrets, poolSql, redact } from '../../src/storage/postgres/sql.js';

/** Each form, the secrets that must never show, and what may be shown of it. */
const FORMS = [
  { url: 'postgres://archivist:hunter2secret@db.example.org:5433/news', secrets: ['hunter2secret', 'archivist:'], shown: 'db.example.org:5433/news' },
  { url: 'postgres://127.0.0.1:9/news?password=param-secret-77&sslmode=disable', secrets: ['param-secret-77'], shown: '127.0.0.1:9/news' },
  { url: 'postgres://bob:pa#ss-word-9@127.0.0.1:9/news', secrets: ['pa#ss-word-9', 'ss-word-9'], shown: 'the DATABASE_URL server' },
  { url: 'postgres://bob:12#xy-secret@127.0.0.1:9/news', secrets: ['12#xy-secret', 'xy-secret'], shown: 'the DATABASE_URL server' },
  { url: 'postgres://bob:s3cr%23t-enc@127.0.0.1:9/news', secrets: ['s3cr%23t-enc', 's3cr#t-enc'], shown: '127.0.0.1:9/news' },
];

function capture(): { stream: Writable; text: () => string } {
  let out = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  return { stream, text: () => out };
}

describe('DATABASE_URL redaction', () => {
  for (const form of FORMS) {
    it(`${form.url.replace(/\/\/.*@/, '//…@')}: messages show ${form.shown}, logs nothing of the URL`, async () => {
      expect(redact(form.url)).toBe(form.shown);
      const sql = poolSql(form.url, { connectTimeoutMs: 1000 });
      let err: unknown;
      try {
        await sql.query('SELECT 1');
      } catch (e) {
        err = e;
      } finally {
        await sql.close().catch(() => undefined);
      }
      expect(err).toBeInstanceOf(Error);
      const message = (err as Error).message;
      for (const s of [form.url, ...form.secrets]) expect(message).not.toContain(s);

      const out = capture();
      const log = createLogger({ level: 'debug', secrets: [], exact: databaseSecrets(form.url) }, out.stream);
      log.error({ err, url: form.url }, `could not connect to ${form.url}`);
      log.info({ config: { DATABASE_URL: form.url } }, 'settings');
      log.flush();
      const text = out.text();
      expect(text).toContain('could not connect to [redacted]');
      for (const s of [form.url, ...form.secrets]) expect(text).not.toContain(s);
    });
  }
});

describe('publicText', () => {
  it('cuts server paths to their last part and hides URLs', () => {
    expect(publicText('Read 3 articles from /srv/archivist/corpus/news.jsonl in 2 s')).toBe('Read 3 articles from news.jsonl in 2 s');
    expect(publicText('Cannot reach postgres://u:p@db/x now')).toBe('Cannot reach [address hidden] now');
    expect(publicText('C:\\data\\corpus\\a.csv: bad line')).toBe('a.csv: bad line');
    expect(publicText('3/4 done')).toBe('3/4 done');
  });
});
