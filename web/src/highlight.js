// A small, language-agnostic code highlighter: comments, strings, numbers and the keywords common to
// C-like languages, Python, shell and SQL. It returns [class, text] pieces for the renderer to put in
// spans as text, never markup.
const KEYWORDS = new Set(`as async await break case catch class const continue def default del do elif else enum
export extends false fi finally fn for from func function if impl import in interface let loop match mod new nil
None null package pub return self static struct super switch then this throw true True False try type typeof
use var void while with yield select where insert update delete create table and or not int char float double
bool auto template namespace public private protected unsigned long short echo local`.split(/\s+/));

const TOKEN = /(\/\/[^\n]*|#[^\n]*|--[^\n]*|\/\*[\s\S]*?\*\/)|("(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)|(\b\d[\d_]*(?:\.\d+)?(?:e[+-]?\d+)?\b|\b0x[0-9a-f]+\b)|([A-Za-z_][A-Za-z0-9_]*)/gi;

export function highlight(code, lang = '') {
  // '#' starts a comment in shell/Python/YAML-like languages, a preprocessor line in C: both look
  // the same (dim), which reads fine. '--' is a comment only in SQL/Lua/Haskell.
  const dashComments = /^(sql|lua|haskell|hs)$/i.test(lang);
  const out = [];
  let last = 0;
  for (const m of code.matchAll(TOKEN)) {
    let cls = m[1] ? 'tok-comment' : m[2] ? 'tok-string' : m[3] ? 'tok-number' : KEYWORDS.has(m[4]) ? 'tok-keyword' : '';
    if (m[1] && m[1].startsWith('--') && !dashComments) cls = '';
    if (!cls) continue;
    if (m.index > last) out.push(['', code.slice(last, m.index)]);
    out.push([cls, m[0]]);
    last = m.index + m[0].length;
  }
  if (last < code.length) out.push(['', code.slice(last)]);
  return out;
}
