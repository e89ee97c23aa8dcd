import { fold, processTerm, tokenize } from '../text/analyze.js';

/**
 * Chat framing: the words people wrap a question in — "hey bot", "anyone know", "can you find me that
 * story about", "what happened to", "any news on", "lol", "pls" — ask for something without naming a
 * topic. Weighted as concepts they outweigh it: news passages rarely say "hey", "bot" or "lol", so idf
 * makes them the question's heaviest words, and "what happened to the moskva" ranked passages that
 * happen to say "happened" above the articles on the ship. Query planning leaves them out; the
 * question's type (who / when / how many) and the chat rules still read the whole message.
 *
 * Each pattern runs on the folded message (lower case, plain apostrophes). A pattern with a group
 * named `f` drops only that group; otherwise the whole match goes. Only general English chat phrasing
 * belongs here, never a phrase taken from an evaluation question (eval/questions/README.md).
 */
const FRAMES: readonly RegExp[] = [
  // Greetings and the name they address, at the start: "hey bot,", "hi all!", "quick q:".
  /^(?:\s*(?:hey+|hi+|hello|yo|hiya|howdy|heya|ok|okay|oh|wait|sorry|gm|good (?:morning|afternoon|evening)|quick (?:q|question)|random (?:q|question)|question)\b(?:\s+(?:bot|archivist|guys|all|everyone|everybody|folks|team|there|y'?all|friends|people))?[\s,.:;!-]*)+/u,
  /^\s*(?:bot|archivist)\s*[,:]/u,
  // Fillers and thanks, anywhere ("thanks to" is a cause, not thanks).
  /\b(?:(?:thanks|thx|thank you|ty) in advance|lol+|lmf?ao|rofl|ha(?:ha)+|he(?:he)+|pl[sz]|please|thx|thanks(?! to)|thank you|ty|tysm|btw|tbh|imo|idk|afaik|fyi|asap|omg|ugh|hm+|um+|uh+|rn|ngl|eli5|tl;?dr)\b/u,
  // Someone is asked whether they know: "does anyone know", "do you guys remember", "any idea".
  /\b(?:(?:does|do|did)\s+)?(?:any\s?(?:one|body)|some\s?(?:one|body)|you(?: guys| all)?|u|ya|y'?all)(?: here)?\s+(?:even\s+|happen to\s+|still\s+)?(?:know|remember|recall|have (?:any )?(?:idea|clue))\b(?:\s+(?:about|of|if|whether))?/u,
  /\bany\s+(?:idea|clue)s?\b/u,
  // A request to look something up: "can you find me", "pls show me", "look up", "help me find".
  /\b(?:can|could|would|will)\s+(?:you|u|ya)\s+(?:please\s+|pls\s+|quickly\s+)?(?:find|show|get|give|tell|look up|pull up|dig up|bring up|search(?: for)?|look for|fetch|check|point me to|help me (?:find|understand)|remind|explain|summari[sz]e)\b(?:\s+(?:me|us))?(?:\s+(?:for|to|about|on|of|up))?/u,
  /^\s*(?:please\s+|pls\s+)?(?:find|show|look up|pull up|dig up|bring up|search(?: for)?|look for|fetch|remind|explain|summari[sz]e|describe|help me (?:find|understand))\b(?:\s+(?:me|us))?/u,
  /\b(?:give|get|send)\s+(?:me|us)\s+(?:(?:a|an|the)\s+)?(?:(?:quick|short|brief)\s+)?(?:summary|rundown|recap|overview|update|breakdown|gist)\b(?:\s+(?:of|on|about))?/u,
  /\blet\s+(?:me|us)\s+know\b/u,
  // The asker's wish to know: "i'd love to learn", "i'd like to find out", "just wondering whether".
  /\bi(?:'d| would| want| wanna| need| am trying| 'm trying| was trying|m trying)\s+(?:like\s+)?(?:to\s+)?(?:know|learn|find out|understand)\b(?:\s+(?:about|more about|if|whether))?/u,
  /\b(?:i'?m\s+|i am\s+|i was\s+|just\s+)?(?:wondering|curious)\b(?:\s+(?:about|if|whether))?/u,
  // The story as the asker remembers it: "that article about", "the news story where".
  /\b(?:that|the|this|those|these|an?)\s+(?:(?:news|recent|old)\s+)?(?:story|stories|article|articles|piece|headline|headlines|news item|thing)\b(?=\s+(?:about|on|regarding|where|when|that|with|of|re|from|saying|in which|which|who|how|i))/u,
  // Coverage asked for: "find articles about", "got anything on", "stories on".
  /\b(?:stories|story|articles?|pieces?|coverage|reporting|headlines?)\s+(?=(?:about|on|regarding|re|concerning|covering)\b)/u,
  /\b(?:got|have|has)\s+(?:got\s+)?(?:anything|something|stuff|any info|any information)\b(?=\s+(?:on|about|regarding|re|concerning)\b)/u,
  /\b(?:everyone|everybody|people|y'?all)\s+(?:is\s+|are\s+|keeps?\s+)?(?:talking|posting|tweeting|going on)\s+about\b/u,
  // What happened / what is going on: the event is the topic, the verb asks for it.
  /\bhappen(?:ed|ing|s)?\b/u,
  /\bwhat(?:'s|s| is| was| has been)?\s+(?<f>going on)\b/u,
  // "what's the latest with", "any news about", "is there an update on".
  /\bwhat(?:'s|s| is| are| was)?\s+(?:the\s+)?(?<f>latest|news|updates?|status|situation|story|lowdown|scoop)\b/u,
  /\b(?:any|latest|recent|the latest|fresh|more)\s+(?:news|updates?|info|information|developments?)\b/u,
  /\b(?:latest|news|updates?|info|information)\s+(?=(?:on|about|regarding|re|concerning)\b)/u,
  /\bin the news\b/u,
  // "what do we know about", "what is known about".
  /\bwhat\s+(?:do|does|did)\s+(?:we|you|they|people|u)\s+(?<f>know)\b/u,
  /\bwhat(?:'s|s| is)\s+(?<f>known)\b/u,
  // Checking a claim: "is it true that".
  /\bis\s+(?:it|this|that)\s+(?<f>true|real|legit)\b/u,
  // A pasted link (a GIF, a post, a page): its scheme, host and slug are no words of the question.
  /(?:\bhttps?:\/\/|\bwww\.)\S+/u,
];

/** The patterns as `matchAll` needs them (global), with match indices. */
const GLOBAL_FRAMES = FRAMES.map((frame) => new RegExp(frame.source, `${frame.flags}gd`));

/** The folded message with every framing span blanked out. */
function blankFraming(folded: string): string {
  const keep = folded.split(''); // UTF-16 units, as match indices count
  for (const frame of GLOBAL_FRAMES) {
    for (const m of folded.matchAll(frame)) {
      const [start, end] = m.indices?.groups?.f ?? m.indices![0]!;
      for (let i = start; i < end; i++) keep[i] = ' ';
    }
  }
  return keep.join('');
}

const hasWords = (text: string): boolean => tokenize(text).some((t) => processTerm(t) !== null);

/**
 * The message with its chat framing blanked out (folded), for query planning. A message that is
 * nothing but framing ("what happened?", "any news?") is returned as it came: then the framing is all
 * there is to search for, and the chat rules judge it as before.
 */
export function withoutFraming(question: string): string {
  const folded = fold(question);
  const rest = blankFraming(folded);
  return rest !== folded && hasWords(rest) ? rest : question;
}

/**
 * Whether a message names nothing to search for: no word is left once framing and stop words go
 * ("thanks!", "hi bot", "who are you?", "lol pls").
 */
export function isOnlyFraming(message: string): boolean {
  return !hasWords(blankFraming(fold(message)));
}
