import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanText, deobfuscate } from '../src/ingest/clean.js';
import { loadCorpus } from '../src/ingest/stream.js';
import { FIXTURES, SEED_CORPUS } from './support/corpus.js';
import { hasShared, SHARED } from './support/shared.js';

const BOILERPLATE = [
  /content is protected/i,
  /copyright/i,
  /©/,
  /become a patron/i,
  /ad ?blocker/i,
  /read more:/i,
  /ctrl \+ enter/i,
  /suggest a correction/i,
  /cup of coffee/i,
  /photo:/i,
  /privacy and cookie/i,
  /when referencing our materials/i,
  /mis\.sile|att\.acks|mili\.tary|miss\.ile|str\.ikes/,
];

describe('cleaning a scraped article', () => {
  it('drops site chrome, appeals, read-more links, photo credits and copyright, and undoes obfuscation', async () => {
    const { articles, problems } = await loadCorpus([path.join(FIXTURES, 'scraped')]);
    expect(problems).toEqual([]);
    const [a] = articles;
    expect(a!.title).toBe('Riverport residents told to prepare for winter floods');
    for (const re of [...BOILERPLATE, /skip to/i]) expect(a!.text, `matches ${re}`).not.toMatch(re);
    expect(a!.text).toContain('subjected to repeated flooding');
    expect(a!.text).toContain('the military has sent sandbags');
    expect(a!.text).toContain('"We have seen this before and we know what to do," Varga said.');
    expect(a!.text.endsWith('if the rain stops.')).toBe(true);
  });
});

describe('cleaning the seed articles', () => {
  it.runIf(hasShared('cleaning the raw seed files', 'seeds'))('leaves no boilerplate or obfuscation in either seed, from the raw shared files', async () => {
    const { articles, problems } = await loadCorpus([path.join(SHARED, 'seeds')]);
    expect(problems).toEqual([]);
    expect(articles).toHaveLength(2);
    for (const a of articles) {
      for (const re of BOILERPLATE) expect(a.text, `${a.source} matches ${re}`).not.toMatch(re);
    }
    const [first, second] = articles;
    expect(first!.title).toBe('Western officials: Ukraine can take back Kherson from Russia in a week');
    expect(first!.text).toContain('subjected to missile attacks');
    expect(first!.text).toContain('western military officials');
    expect(first!.text).toContain('consequences of missile strikes');
    expect(first!.text.trim().endsWith('may soon liberate Kherson.')).toBe(true);
    expect(second!.title).toBe('Associated Press: One year after liberation, Kherson holds on to hope for victory');
    expect(second!.text.startsWith('On 11 November, 2022, the Ukrainian Army liberated Kherson')).toBe(true);
    expect(second!.text.trim().endsWith('clear its territory from the Russian military.')).toBe(true);
    // The title is not repeated in the body.
    expect(second!.text).not.toContain('holds on to hope for victory');
  });

  it('keeps the metadata of the default corpus front matter', async () => {
    const { articles } = await loadCorpus([SEED_CORPUS]);
    expect(articles.map((a) => [a.title.slice(0, 20), a.date, a.outlet])).toEqual([
      ['Western officials: U', '2022-10', undefined],
      ['Associated Press: On', '2023-11', 'Euromaidan Press (relaying the Associated Press)'],
    ]);
    const raw = await readFile(path.join(SEED_CORPUS, '000_08d637ee574c98ec.txt'), 'utf8');
    expect(raw.startsWith('---\n')).toBe(true);
  });
});

describe('deobfuscate', () => {
  it('joins dotted words', () => {
    expect(deobfuscate('subjected to mis.sile att.acks by the mili.tary')).toBe('subjected to missile attacks by the military');
    expect(deobfuscate('consequences of miss.ile str.ikes…go')).toBe('consequences of missile strikes…go');
  });

  it('leaves URLs, domains, abbreviations, decimals and file names alone', () => {
    const keep = [
      'See https://www.euromaidanpress.com/2023/11/kherson.html for more.',
      'Write to news.desk@example.org today.',
      'The U.S. and the U.K. agreed, e.g. on aid, i.e. weapons.',
      'Growth was 3.5 percent at 10.30 a.m. local time.',
      'Visit euromaidanpress.com or kyivindependent.com now.',
      'Built with node.js and saved as report.pdf yesterday.',
    ];
    for (const s of keep) expect(deobfuscate(s)).toBe(s);
  });
});

describe('cleanText', () => {
  it('drops inline boilerplate sentences but keeps the article around them', () => {
    const text =
      'Klitschko said civilians had been killed in Bucha. He called for more help. © 2022 BBC. The BBC is not responsible for the content of external sites.';
    expect(cleanText(text)).toBe('Klitschko said civilians had been killed in Bucha. He called for more help.');
  });

  it('joins hard-wrapped lines and drops photo credits with their alt-text line', () => {
    const text = [
      'Officials in the southern city said on Monday that the power',
      'had been restored to most homes after the strikes.',
      'Kherson protest Russian occupation',
      'Protesters in the square, 5 March 2022. Photo: Khersondaily',
      'Residents queued for water.',
    ].join('\n');
    expect(cleanText(text)).toBe(
      'Officials in the southern city said on Monday that the power had been restored to most homes after the strikes.\n\nResidents queued for water.',
    );
  });
});
