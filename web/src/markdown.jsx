// A small Markdown renderer that builds Preact elements, so model output only ever becomes text
// nodes (no innerHTML): fenced code with highlighting, headings, lists, quotes, rules, paragraphs,
// and inline code, bold, italics and http(s) links; with `cite`, source numbers such as [1] or
// [1, 3] become what cite(n) returns for each (a button that opens the source).
import { highlight } from './highlight.js';

const INLINE = /(`+)([\s\S]*?[^`])\1(?!`)|\*\*([^*]+)\*\*|__([^_]+)__|\*([^*\s][^*]*)\*|_([^_\s][^_]*)_|\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)|\[(\d+(?:\s*,\s*\d+)*)\]/g;

function citations(numbers, cite) {
  const out = [];
  for (const n of numbers.split(',').map((x) => Number(x.trim()))) out.push(cite(n) || `[${n}]`);
  return out;
}

function inline(text, cite) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    if (m[2] !== undefined) out.push(<code>{m[2]}</code>);
    else if (m[3] || m[4]) out.push(<strong>{inline(m[3] || m[4], cite)}</strong>);
    else if (m[5] || m[6]) out.push(<em>{inline(m[5] || m[6], cite)}</em>);
    else if (m[9]) out.push(...(cite ? citations(m[9], cite) : [m[0]]));
    else out.push(<a href={m[8]} target="_blank" rel="noopener noreferrer">{m[7]}</a>);
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

export function CodeBlock({ code, lang }) {
  return (
    <pre class="code" data-lang={lang || undefined}>
      <code>{highlight(code, lang).map(([cls, t]) => (cls ? <span class={cls}>{t}</span> : t))}</code>
    </pre>
  );
}

const LIST_ITEM = /^(\s*)([-*+]|\d+[.)])\s+(.*)$/;

export function Markdown({ text, cite }) {
  const lines = text.split('\n');
  const blocks = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const fence = line.match(/^\s*(```|~~~)\s*([\w+#.-]*)/);
    if (fence) {
      const body = [];
      for (i++; i < lines.length && !lines[i].trimStart().startsWith(fence[1]); i++) body.push(lines[i]);
      i++;  // the closing fence, or past the end while it is still streaming
      blocks.push(<CodeBlock code={body.join('\n')} lang={fence[2]} />);
      continue;
    }
    const heading = line.match(/^(#{1,6})\s+(.*)$/);
    if (heading) {
      const H = `h${Math.min(heading[1].length + 2, 6)}`;  // page and section titles keep h1/h2
      blocks.push(<H>{inline(heading[2], cite)}</H>);
      i++;
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      blocks.push(<hr />);
      i++;
      continue;
    }
    if (/^\s*>/.test(line)) {
      const body = [];
      for (; i < lines.length && /^\s*>/.test(lines[i]); i++) body.push(lines[i].replace(/^\s*>\s?/, ''));
      blocks.push(<blockquote><Markdown text={body.join('\n')} cite={cite} /></blockquote>);
      continue;
    }
    const item = line.match(LIST_ITEM);
    if (item) {
      const ordered = /\d/.test(item[2]);
      const items = [];
      for (; i < lines.length; i++) {
        const m = lines[i].match(LIST_ITEM);
        if (m) items.push(m[3]);
        else if (/^\s+\S/.test(lines[i]) && items.length) items[items.length - 1] += ' ' + lines[i].trim();
        else break;
      }
      const lis = items.map((t) => <li>{inline(t, cite)}</li>);
      blocks.push(ordered ? <ol>{lis}</ol> : <ul>{lis}</ul>);
      continue;
    }
    if (!line.trim()) {
      i++;
      continue;
    }
    const para = [];
    for (; i < lines.length && lines[i].trim() && !LIST_ITEM.test(lines[i]) && !/^\s*(```|~~~|#{1,6}\s|>)/.test(lines[i]); i++) para.push(lines[i]);
    blocks.push(<p>{inline(para.join('\n'), cite)}</p>);
  }
  return <div class="md">{blocks}</div>;
}
