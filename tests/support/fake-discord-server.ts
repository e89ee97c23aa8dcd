/**
 * The Discord stand-in as a process of its own, for checks of a bot that runs elsewhere (the container
 * check, scripts/container-check.sh): `tsx tests/support/fake-discord-server.ts --token T [--ask Q]`.
 * Prints one JSON line {url, applicationId, guildId} when listening; with --ask, once the bot has
 * identified it sends /ask Q and prints `answered: <title of the first source>` (or `no answer: …`).
 * Runs until SIGTERM or SIGINT.
 */
import { parseArgs } from 'node:util';
import { editOf } from './bot-harness.js';
import { FakeDiscord } from './fake-discord.js';

const { values } = parseArgs({ options: { token: { type: 'string' }, ask: { type: 'string' } } });
if (!values.token) {
  process.stderr.write('usage: tsx tests/support/fake-discord-server.ts --token TOKEN [--ask QUESTION]\n');
  process.exit(2);
}
const fake = await FakeDiscord.start({ token: values.token });
process.stdout.write(`${JSON.stringify({ url: fake.url, applicationId: fake.applicationId, guildId: fake.guildId })}\n`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void fake.close().then(() => process.exit(0)));

if (values.ask) {
  while (!fake.isIdentified) await new Promise((resolve) => setTimeout(resolve, 250));
  // The bot answers once its client is ready (READY follows IDENTIFY at once here).
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const i = fake.slash('ask', { question: values.ask }, fake.user('operator'));
  try {
    const body = await editOf<{ embeds?: Array<{ title?: string }> }>(fake, i, 60_000);
    process.stdout.write(`answered: ${body.embeds?.[0]?.title ?? '(no source)'}\n`);
  } catch (err) {
    process.stdout.write(`no answer: ${(err as Error).message}\n`);
  }
}
