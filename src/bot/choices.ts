import type { ApplicationCommandOptionChoiceData } from 'discord.js';
import type { OutletCount } from '../storage/backend.js';
import type { ArticleSummary } from '../types.js';
import { clip } from './format.js';
import { MAX_CHOICES } from './outlets.js';

/** Discord's limit on a choice's name and value. */
const CHOICE_CHARS = 100;

/** Autocomplete choices for an outlet: the name with its article count; the value is the name itself. */
export function outletChoices(outlets: readonly OutletCount[]): ApplicationCommandOptionChoiceData<string>[] {
  return outlets
    .filter((o) => o.name.length <= CHOICE_CHARS)
    .slice(0, MAX_CHOICES)
    .map((o) => {
      const count = ` (${o.articles.toLocaleString('en-US')} article${o.articles === 1 ? '' : 's'})`;
      return { name: `${clip(o.name, CHOICE_CHARS - count.length)}${count}`, value: o.name };
    });
}

/** Autocomplete choices for an article: title, outlet and date shown; the value is its id (ids too long for a choice are left out). */
export function articleChoices(articles: readonly ArticleSummary[]): ApplicationCommandOptionChoiceData<string>[] {
  return articles
    .filter((a) => a.id.length <= CHOICE_CHARS)
    .slice(0, MAX_CHOICES)
    .map((a) => {
      const where = [a.outlet, a.date].filter(Boolean).join(', ');
      return { name: clip(where ? `${a.title} — ${where}` : a.title, CHOICE_CHARS), value: a.id };
    });
}
