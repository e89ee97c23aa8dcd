/**
 * Questions about what happened after the corpus ends: "who won the 2024 election" over news that
 * stops in 2022. No article can report it, however well one matches the topic (it may even speak of
 * "the 2024 election" as a future event), so the search refuses it and says why.
 */

/** A year the question names as a horizon or a subject rather than as when something happened ("after 2024", "forecast for 2023"). */
const HORIZON = /\b(after|by|until|till|before|beyond|through|from|since|past|to|for|about)\s+((?:early|mid|late|the end of)\s+)?$/i;
/** Asking about what will happen: an article may well speak of it. */
const FUTURE = /\b(will|would|going to|gonna|plans?|planned|planning|expected|expects?|scheduled|due|set to|forecasts?|predict\w*|upcoming|next)\b/i;
/** Asking about what did happen (a past auxiliary, a regular past tense, or a common irregular one). */
const PAST =
  /\b(did|didn'?t|was|wasn'?t|were|weren'?t|had|has been|have been|\w{3,}ed|won|lost|got|took|made|became|said|died|told|bought|sold|went|came|left|met|paid|spent|held|gave|ran|began|fell|rose|struck|shot|chose|beat|saw|wrote|hit|happened|ended)\b/i;

/**
 * The year, later than the newest article's, that the question asks about in the past tense; undefined
 * when it names none (or only as a horizon, or asks about plans), or when no article is dated.
 */
export function yearAfterCorpus(question: string, newestDate: string | undefined): number | undefined {
  if (!newestDate) return undefined;
  const newest = Number(newestDate.slice(0, 4));
  if (!Number.isFinite(newest) || FUTURE.test(question) || !PAST.test(question)) return undefined;
  for (const m of question.matchAll(/\b(19|20)\d\d\b/g)) {
    const year = Number(m[0]);
    if (year > newest && !HORIZON.test(question.slice(0, m.index))) return year;
  }
  return undefined;
}
