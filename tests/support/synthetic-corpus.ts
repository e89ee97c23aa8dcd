import { writeFile } from 'node:fs/promises';

const WORDS = (
  'harbour council river bridge market winter grain power station train school hospital mayor village ' +
  'shelling drone missile convoy border refugee volunteer museum theatre factory farm tractor wheat sunflower ' +
  'election minister budget pension tax court judge police border customs airport runway ferry port crane'
).split(' ');

/** A JSONL corpus of `count` generated articles (ids a0…), deterministic, a few hundred words each. */
export async function writeGeneratedCorpus(file: string, count: number, words = 300): Promise<void> {
  let seed = 7;
  const next = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const sentences: string[] = [];
    let n = 0;
    while (n < words) {
      const len = 8 + Math.floor(next() * 12);
      const s = Array.from({ length: len }, () => WORDS[Math.floor(next() * WORDS.length)]!).join(' ');
      sentences.push(`${s[0]!.toUpperCase()}${s.slice(1)} number ${i}-${n}.`);
      n += len + 2;
    }
    const month = String(1 + (i % 12)).padStart(2, '0');
    lines.push(JSON.stringify({ id: `a${i}`, title: `Generated report ${i}`, url: `https://example.org/g/${i}`, date: `2022-${month}-15`, outlet: i % 2 ? 'Odd Outlet' : 'Even Gazette', text: sentences.join(' ') }));
  }
  await writeFile(file, `${lines.join('\n')}\n`);
}
