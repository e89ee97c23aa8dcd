import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * `npx tsx eval/questions/pattern-splits.ts SRC.ts... --questions FILE.jsonl...`: for every regex
 * literal in the source files and every alternative of its groups (`a|b|c`), which question files
 * the regex matches *through that alternative* (the group narrowed to it alone). Lists the
 * alternatives whose only matches are in a test split (a file named test*.jsonl): such a pattern
 * came from a test question and must go (no pattern may come from a test question).
 */

interface Alt {
  start: number;
  end: number;
}

/** The `|`-separated alternatives of each group of a regex source (the whole source counts as one group). */
function groupAlternatives(src: string): Alt[][] {
  const groups: Alt[][] = [];
  const stack: Array<{ altStart: number; alts: Alt[] }> = [{ altStart: 0, alts: [] }];
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') {
      let body = i + 1;
      if (src[body] === '?') body += src[body + 1] === '<' && /[=!]/.test(src[body + 2]!) ? 3 : 2;
      stack.push({ altStart: body, alts: [] });
      i = body - 1;
    } else if (c === '|') {
      const top = stack.at(-1)!;
      top.alts.push({ start: top.altStart, end: i });
      top.altStart = i + 1;
    } else if (c === ')') {
      const top = stack.pop()!;
      if (top.alts.length) groups.push([...top.alts, { start: top.altStart, end: i }]);
    }
  }
  const root = stack[0]!;
  if (root.alts.length) groups.push([...root.alts, { start: root.altStart, end: src.length }]);
  return groups;
}

function regexLiterals(file: string): Array<{ line: number; source: string; flags: string }> {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: Array<{ line: number; source: string; flags: string }> = [];
  const visit = (node: ts.Node): void => {
    if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const lit = node.getText(sf);
      const cut = lit.lastIndexOf('/');
      out.push({ line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, source: lit.slice(1, cut), flags: lit.slice(cut + 1).replace(/[gy]/g, '') });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

const args = process.argv.slice(2);
const qi = args.indexOf('--questions');
const sources = args.slice(0, qi);
const files = args.slice(qi + 1);
const questions = files.flatMap((f) =>
  readFileSync(f, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => ({ file: f, test: /^test/.test(path.basename(f)), ...(JSON.parse(l) as { id: string; question: string }) })),
);
let flagged = 0;
for (const file of sources) {
  for (const re of regexLiterals(file)) {
    const all = groupAlternatives(re.source);
    for (const alts of all) {
      for (const [i, alt] of alts.entries()) {
        // Narrow this group and every group around it to the alternative holding `alt`.
        const cut = new Array<boolean>(re.source.length).fill(false);
        for (const g of all) {
          const gs = g[0]!.start;
          const ge = g.at(-1)!.end;
          const inner = g.find((a) => a.start <= alt.start && alt.end <= a.end);
          if (!inner || gs > alt.start || ge < alt.end) continue;
          for (let j = gs; j < inner.start; j++) cut[j] = true;
          for (let j = inner.end; j < ge; j++) cut[j] = true;
        }
        const narrowed = [...re.source].filter((_, j) => !cut[j]).join('');
        let rx: RegExp;
        try {
          rx = new RegExp(narrowed, re.flags);
        } catch {
          continue;
        }
        const hits = questions.filter((q) => rx.test(q.question));
        const test = hits.filter((h) => h.test);
        if (test.length > 0 && test.length === hits.length) {
          flagged++;
          process.stdout.write(`${file}:${re.line} alternative #${i} \`${re.source.slice(alt.start, alt.end)}\`: only test questions (${test.map((t) => t.id).join(', ')})\n`);
        } else if (process.env.VERBOSE && hits.length) {
          const by = new Map<string, number>();
          for (const h of hits) by.set(path.basename(h.file), (by.get(path.basename(h.file)) ?? 0) + 1);
          process.stdout.write(`  ${file}:${re.line} #${i} \`${re.source.slice(alt.start, alt.end)}\`: ${[...by].map(([f, n]) => `${f} ${n}`).join(', ')}\n`);
        }
      }
    }
  }
}
process.stdout.write(`${flagged} alternative(s) match only test questions\n`);
