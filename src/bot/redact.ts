/**
 * Text for a message other servers' members may see (a public /reindex progress line): server
 * paths cut to their last part and anything URL-like (a connection string) hidden. Errors are
 * shown in full only to admins, ephemerally (and never with the DATABASE_URL: see redact() in
 * storage/postgres/sql.ts and the logger's secrets).
 */
export function publicText(text: string): string {
  return text
    .replace(/\b[a-z][\w+.-]*:\/\/\S+/gi, '[address hidden]')
    .replace(/(?:\b[A-Za-z]:\\|(?<![\w.])\/)(?:[^\s/\\:'"()]+[/\\])+([^\s/\\:'"()]*)/g, (_m: string, last: string) => last || '[folder]');
}
