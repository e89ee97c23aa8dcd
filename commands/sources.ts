import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  MessageFlags,
  SlashCommandBuilder,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
} from 'discord.js';
import type { BotContext } from '../src/bot/context.js';
import { NO_MENTIONS, sourcesEmbed } from '../src/bot/format.js';

const PAGE = 10;
const MAX_QUERY = 60;

export const data = new SlashCommandBuilder()
  .setName('sources')
  .setDescription('List the indexed articles (title, outlet, date)')
  .addStringOption((o) => o.setName('query').setDescription('Only articles with these words in the title or outlet').setMaxLength(MAX_QUERY));

// The query fits in the custom id (prefix + offset + 60 chars < 100), so paging survives restarts.
export const buttonPrefix = 'sources';
const pageId = (offset: number, query: string): string => `${buttonPrefix}:${offset}:${query}`;

async function page(ctx: BotContext, query: string, offset: number) {
  const { total, items } = await ctx.index.current.listArticles(query, offset, PAGE);
  const buttons: ButtonBuilder[] = [];
  if (offset > 0) buttons.push(new ButtonBuilder().setCustomId(pageId(Math.max(0, offset - PAGE), query)).setLabel('Previous').setStyle(ButtonStyle.Secondary));
  if (offset + PAGE < total) buttons.push(new ButtonBuilder().setCustomId(pageId(offset + PAGE, query)).setLabel('Next').setStyle(ButtonStyle.Primary));
  return {
    embeds: [sourcesEmbed(items, offset, total, query)],
    components: buttons.length ? [new ActionRowBuilder<ButtonBuilder>().addComponents(buttons)] : [],
    allowedMentions: NO_MENTIONS,
  };
}

export async function execute(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void> {
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const query = (interaction.options.getString('query') ?? '').replace(/\s+/g, ' ').trim().slice(0, MAX_QUERY);
  await interaction.editReply(await page(ctx, query, 0));
}

export async function handleButton(interaction: ButtonInteraction, ctx: BotContext): Promise<void> {
  const [, offset, ...rest] = interaction.customId.split(':');
  const n = Math.max(0, Number(offset) || 0);
  await interaction.update(await page(ctx, rest.join(':'), n));
}
