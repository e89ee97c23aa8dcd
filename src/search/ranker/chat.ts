/**
 * Is the message talk addressed to the bot, or about the asker's own life, rather than a question
 * about reported events? News questions ask about third parties in the past ("who", "how many",
 * "what did … say"); everyday chat greets or thanks the bot, asks it to do a service (write,
 * translate, order), asks for personal advice ("should i", "my knee hurts"), or asks about tonight
 * and tomorrow. Such a message often shares a name with the corpus ("weather in kyiv tomorrow",
 * "how do you say thank you in russian"), so the topicality rule (topic.ts) lets it through and the
 * passage found for its words is confidently wrong. These are signs in the wording, not in the
 * corpus, so they hold for any corpus of news.
 *
 * Designed on the training questions (ours and RealtimeQA's train weeks), where no answerable
 * question shows any of them; the reporting verbs ("i read", "i heard", "can you find") and the
 * questions of a thread keep their meaning (see tests/chat.test.ts).
 */

import type { ChatKind } from '../../types.js';

export type { ChatKind };

/** Greetings, fillers and the bot's own name before the message proper ("hey bot, quick q: …"). */
const LEADING_FILLER =
  /^(?:(?:hey|hi|hiya|hello|yo|oi|ok|okay|so|um+|uh+|pls|please|quick q(?:uestion)?|question|random q(?:uestion)?|sorry|lol|bot|archivist|@\S+|guys|all|folks|there|anyone know|does anyone know|do you know|i wonder|wondering)[\s,:;!?.-]*)+/i;

/** A whole message of greeting, thanks or small talk (short: a question follows none of them). */
const SOCIAL =
  /^(?:(?:good )?(?:morning|night|evening|afternoon)|howdy|thanks?(?: you)?|thx|ty|cheers|bye|goodbye|gn|gm|sup|wh?at'?s up|whats good|how are (?:you|u)|how r u|how'?s it going|nice|cool|great|awesome|lol|lmao|haha+|ok|okay|any(?:one|body) (?:home|there|here|around|awake|alive|online)|(?:wow|omg|same|agreed|true|fair enough|no way|(?:that'?s|thats|this is|so) (?:so |really |pretty )?(?:true|wild|crazy|funny|cool|sad|insane|interesting|fair|right)))\b.{0,25}$/i;

/** Asking to find, show or quote is what the bot is for; any other "can you …" asks a service of it. */
const RETRIEVE = String.raw`(?:find|show|search|look|tell me (?!something|(?:a|another) (?:joke|story|riddle))|give me|quote|list|pull|get|check|confirm|explain|summari[sz]e|describe|remind me (?:what|who|when|where|how|which|if))\b`;

/** Talk about the bot itself: what it is, likes or thinks, its birthday; the bot named at the end ("…, bot"). */
const ABOUT_BOT = new RegExp(
  String.raw`\b(?:are (?:you|u)|who (?:made|built|created|programmed) (?:you|u)|what (?:can|do) (?:you|u) do|your (?:name|favou?rite|opinion|thoughts)|you'?re|(?:do|would|will|did) (?:you|u) (?:like|love|think|prefer|want|have(?! (?:any|anything|something|info|articles?|news|stories|sources?|more|the))|feel|dream|believe|recommend|suggest)|(?:can|could|would|will) (?:you|u) (?!${RETRIEVE}))|(?:,\s*|\s)(?:bot|archivist)\W*$|^tell me (?:something|(?:a|another) (?:joke|story|riddle))|\byour (?:birthday|hobby|hobbies|creators?|makers?|developers?)\b`,
  'i',
);

/** A service other than finding articles, asked for first thing. */
const REQUEST =
  /^(?:(?:can|could|would|will) (?:you|u) |pls |please )?(?:(?:write|translate|convert|recommend|suggest|calculate|solve|proofread|teach|compose|sing|entertain|make me)\b|(?:order|book|set|play|plan|draw|fix)(?= (?:me|us|a|an|the|my|some|this|that|it|\d))|(?:turn|switch) (?:(?:the|my|all|all the) )?(?:\w+ ){0,2}(?:on|off|up|down)\b(?![^?]*\?)(?!.*\b(?:who|what|when|where|why|how|which)\b)|remind me to\b|help me(?! (?:find|locate|look|search|remember|understand|figure))\b|settle (?:this|it|a)\b)/i;

/** First person, except reporting what one read or heard, or what one is looking for. */
const REPORTING =
  String.raw`(?:read|heard|saw|seen|remember|recall|think|thought|forgot|forget|believe|wonder(?:ed)?|was wondering|want(?:ed)? to know|wanna know|need to know|(?:a|')?m (?:trying|looking|curious|confused)|can'?t (?:remember|recall|find)|(?:see|read|find|get|have) (?:the|that|this|a|an|more|some)\b|keep (?:hearing|seeing)|know|guess|assume|mean|missed|caught|(?:need|want|'?d like|would like)(?: to (?:find|see|know|read))? (?:the|that|this|a|an) (?:article|story|source|link|quote|piece|report|news))`;
const PERSONAL = new RegExp(
  String.raw`\b(?:(?:should|do|can|could|would|will|shall|am) i(?<!(?:where|how) (?:can|could) i)(?! (?:read|find|see|get|look|learn|watch)\b)|how (?:can|do|should|would) i|i (?!${REPORTING})\w+|i'?m (?!(?:trying|looking|curious|confused|not sure|wondering)\b)\w+|my(?! \w+ (?:said|says|told|tells|reckons|thinks|claims|heard|read))|mine|your (?:mom|mum|mommy|mummy|mama|dad|daddy|papa|sisters?|brothers?|siblings?|wife|husband|girlfriend|boyfriend|grandma|granny|grandpa|aunt|uncle|cousins?)|for me(?! (?:what|who|when|where|why|how|which))|me (?:a|an|some))\b`,
  'i',
);

/** Tonight and tomorrow: what an archive of past reports cannot hold. */
const NOW = /\b(?:tonight|tomorrow|next (?:race|game|match|episode|fixture)|later today)\b/i;

/** Advice and everyday know-how ("is it safe to…", "is x better than y", "how long to…", a recipe). */
const ADVICE =
  /^(?:how (?:do|can|should|would) (?:i|you|we)\b|how to\b|(?:what'?s |what is |what are )?(?:the |a |an )?(?:best|quickest|cheap(?:est)?|good)(?![\w-])|any (?:good|tips|recommendations?)\b|anyone (?:got|know|have)\b|is .* worth\b|tips (?:for|on)\b)|\b(?:is it (?:safe|bad|ok|okay|good|healthy|normal) (?:to|that)|is it true\b|is \w+ better than|which is better|how (?:long|much|many) to\b|recipe|how (?:long|much|many|often) (?:do|does|should|can) (?:i|you)\b)/i;

/**
 * The kind of chat the message is, or undefined for a question about the news. A capital "I" after
 * a capitalised word is a numeral ("Artemis I", "World War I"), not the asker.
 */
export function chatKind(message: string): ChatKind | undefined {
  const text = message
    .trim()
    .replace(/\b([A-Z][a-z]+) I\b/g, '$1 one')
    .replace(/\s+/g, ' ');
  const rest = text.replace(LEADING_FILLER, '');
  // Nothing but fillers, emoji or punctuation ("hi 👋", "??").
  if (!/[\p{L}\p{N}]/u.test(rest) || SOCIAL.test(rest)) return 'social';
  if (REQUEST.test(rest)) return 'request';
  if (ABOUT_BOT.test(rest)) return 'bot';
  if (PERSONAL.test(rest)) return 'personal';
  if (NOW.test(rest)) return 'now';
  if (ADVICE.test(rest)) return 'advice';
  return undefined;
}
