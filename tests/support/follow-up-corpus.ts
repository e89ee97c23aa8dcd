import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A small made-up corpus for follow-up questions: "What about Mykolaiv?" alone finds the shipyard
 * article (it says Mykolaiv most); after "What did the governor urge Dniprovka residents to do?"
 * it should find the Mykolaiv evacuation article instead. The wheat article is another topic.
 */
export const FOLLOW_UP = {
  first: 'What did the governor urge Dniprovka residents to do?',
  followUp: 'What about Mykolaiv?',
  otherTopic: 'What was the price of wheat at the Odesa grain exchange?',
  titles: {
    dniprovka: 'Governor urges Dniprovka residents to evacuate',
    mykolaivEvacuation: 'Officials urge Mykolaiv residents to evacuate as water supply fails',
    shipyard: 'Mykolaiv shipyard reopens its docks',
    wheat: 'Wheat price rises at the Odesa grain exchange',
  },
} as const;

const ARTICLES: Array<{ file: string; title: string; date: string; text: string }> = [
  {
    file: 'dniprovka.md',
    title: FOLLOW_UP.titles.dniprovka,
    date: '2022-10-20',
    text:
      'The governor urged the residents of Dniprovka to evacuate to the left bank before the fighting reached the town. ' +
      'Buses left the central square every hour, the governor said. The evacuation of Dniprovka began on 18 October, two days after the shelling intensified.',
  },
  {
    file: 'mykolaiv-evacuation.md',
    title: FOLLOW_UP.titles.mykolaivEvacuation,
    date: '2022-10-22',
    text:
      'Officials urged residents to evacuate to safer regions after the water supply of the city failed. ' +
      'The regional governor said evacuation trains would leave every day, and that residents who stay should store drinking water.',
  },
  {
    file: 'mykolaiv-shipyard.md',
    title: FOLLOW_UP.titles.shipyard,
    date: '2022-10-25',
    text:
      'The Mykolaiv shipyard reopened its docks on Monday. Mykolaiv workers repaired two cranes at the yard over the summer. ' +
      'The mayor of Mykolaiv praised the shipbuilders. Mykolaiv has built ships since the eighteenth century, and the Mykolaiv yard employs four thousand people.',
  },
  {
    file: 'odesa-wheat.md',
    title: FOLLOW_UP.titles.wheat,
    date: '2022-10-27',
    text:
      'The price of wheat at the Odesa grain exchange rose to 300 dollars a tonne on Thursday. ' +
      'Traders said wheat exports through the port doubled in September, and the exchange expects the price of grain to keep rising.',
  },
  {
    file: 'lviv-concert.md',
    title: 'Lviv orchestra plays a charity concert',
    date: '2022-10-28',
    text: 'The Lviv orchestra played a charity concert for hospitals on Saturday. Tickets sold out within an hour, the organisers said.',
  },
];

/** Writes the articles as Markdown files with front matter into `dir` and returns it. */
export async function writeFollowUpCorpus(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const a of ARTICLES) {
    await writeFile(path.join(dir, a.file), `---\ntitle: ${a.title}\ndate: ${a.date}\noutlet: Test Wire\nurl: https://example.org/${a.file.replace('.md', '')}\n---\n\n${a.text}\n`);
  }
  return dir;
}
