import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Every relative link and `#anchor` in the project's Markdown resolves: the target file exists
 * inside the repository, and a fragment names a heading of the target as GitHub renders it.
 * External links (http, https, mailto, ...) are left alone: nothing here touches the network.
 * It reads the repository's files only, which is why it lives in the unit project.
 */

const ROOT = join(import.meta.dirname, '..', '..');

/** Folders that hold no Markdown of ours: dependencies, build and run output. */
const SKIPPED = new Set(['node_modules', 'dist', 'coverage', 'test/artifacts', 'bench/results']);

/** Where the checker reads files: the repository, or a table in the checker's own tests. */
interface Files {
  /** Text of a repo-relative path, or undefined when it is not a file. */
  read(path: string): string | undefined;
  /** Whether a repo-relative path is a file or a folder. */
  exists(path: string): boolean;
}

const repo: Files = {
  read(path) {
    try {
      return readFileSync(join(ROOT, path), 'utf8');
    } catch {
      return undefined;
    }
  },
  exists(path) {
    try {
      statSync(join(ROOT, path));
      return true;
    } catch {
      return false;
    }
  },
};

/** Repo-relative paths of every Markdown file outside the skipped and hidden folders. */
function markdownFiles(dir = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.') && !SKIPPED.has(path) && !SKIPPED.has(entry.name))
        out.push(...markdownFiles(path));
    } else if (entry.name.endsWith('.md')) out.push(path);
  }
  return out.sort();
}

const FENCE = /^\s*(`{3,}|~{3,})/;

/** The text with the lines of fenced code blocks emptied (line numbers kept). */
function withoutFences(text: string): string {
  let fence: string | undefined;
  return text
    .split('\n')
    .map((line) => {
      const mark = FENCE.exec(line)?.[1];
      if (fence === undefined) {
        if (mark === undefined) return line;
        fence = mark;
      } else if (mark !== undefined && mark[0] === fence[0] && mark.length >= fence.length)
        fence = undefined;
      return '';
    })
    .join('\n');
}

/** `text` with its code spans blanked (same length): a run of backticks up to the next equal run. */
function blankCodeSpans(text: string): string {
  return text.replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (code) => code.replace(/[^\n]/g, ' '));
}

/**
 * The text without code: fenced blocks emptied, inline code spans blanked (same length, same
 * line breaks). Spans pair up within a paragraph, and within one cell of a table row, as GFM
 * parses them.
 */
function prose(text: string): string {
  return withoutFences(text)
    .split(/(\n\s*\n)/)
    .map((block) =>
      block.split('\n').every((line) => line.trim() === '' || line.trimStart().startsWith('|'))
        ? block
            .split('\n')
            .map((row) =>
              row
                .split(/(?<!\\)\|/)
                .map(blankCodeSpans)
                .join('|'),
            )
            .join('\n')
        : blankCodeSpans(block),
    )
    .join('');
}

/** Heading texts in order: ATX (`## Title`) and setext (a line underlined with = or -). */
function headings(text: string): string[] {
  const lines = withoutFences(text).split('\n');
  const out: string[] = [];
  lines.forEach((line, i) => {
    const atx = /^ {0,3}#{1,6}(?:\s+(.*?))?(?:\s+#+)?\s*$/.exec(line);
    if (atx !== null) out.push(atx[1] ?? '');
    else if (
      /^ {0,3}(=+|-+)\s*$/.test(lines[i + 1] ?? '') &&
      line.trim() !== '' &&
      !/^\s*([-*+>|]|\d+[.)])/.test(line)
    )
      out.push(line.trim());
  });
  return out;
}

/**
 * GitHub's heading id: the rendered text, lower-cased, every character that is not a word
 * character (Ruby's `\p{Word}`: letter, mark, decimal or letter number, connector such as `_`),
 * a space or a hyphen dropped, then each space a hyphen.
 */
function githubSlug(heading: string): string {
  const rendered = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`+/g, '')
    .replace(/\*+/g, '')
    .replace(/(^|[^\p{L}\p{N}])_+(.+?)_+(?=[^\p{L}\p{N}]|$)/gu, '$1$2');
  return rendered
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{Nd}\p{Nl}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor of a Markdown text: heading ids (duplicates get -1, -2, ...) and HTML ids. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const heading of headings(text)) {
    const base = githubSlug(heading);
    let slug = base;
    while (seen.has(slug)) {
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      slug = `${base}-${String(n)}`;
    }
    seen.set(slug, 0);
    out.add(slug);
  }
  for (const m of prose(text).matchAll(/<a\s[^>]*\b(?:id|name)="([^"]+)"/g)) out.add(m[1] ?? '');
  return out;
}

interface Link {
  readonly target: string;
  readonly line: number;
}

/** Inline links and images, reference definitions, and HTML href/src attributes. */
function links(text: string): Link[] {
  const body = prose(text);
  const lineOf = (index: number) => body.slice(0, index).split('\n').length;
  const patterns = [
    /!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g,
    /^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/gm,
    /\b(?:href|src)="([^"]*)"/g,
  ];
  return patterns
    .flatMap((re) =>
      [...body.matchAll(re)].map((m) => ({
        target: (m[1] ?? '').replace(/^<(.*)>$/, '$1'),
        line: lineOf(m.index),
      })),
    )
    .sort((a, b) => a.line - b.line);
}

/** Why one link of `file` does not resolve, or undefined when it does (or is external). */
function problem(file: string, target: string, files: Files): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) return undefined;
  const hash = target.indexOf('#');
  const pathPart = (hash === -1 ? target : target.slice(0, hash)).replace(/\?.*$/, '');
  const fragment = hash === -1 ? '' : decodeURIComponent(target.slice(hash + 1));
  const path =
    pathPart === ''
      ? file
      : posix.normalize(
          pathPart.startsWith('/')
            ? decodeURIComponent(pathPart.slice(1))
            : posix.join(posix.dirname(file), decodeURIComponent(pathPart)),
        );
  if (path === '..' || path.startsWith('../')) return 'points outside the repository';
  if (!files.exists(path)) return `${path} does not exist`;
  if (fragment === '') return undefined;
  // A folder shows its README.md; other files have no headings, only GitHub's line anchors.
  const doc = files.read(path.endsWith('.md') ? path : posix.join(path, 'README.md'));
  if (doc === undefined)
    return /^L\d+(-L\d+)?$/.test(fragment) ? undefined : `${path} has no headings`;
  return anchors(doc).has(fragment) ? undefined : `no such heading in ${path}`;
}

/** `file:line target: why` for every link of `file` that does not resolve. */
function brokenLinks(file: string, files: Files = repo): string[] {
  const text = files.read(file) ?? '';
  return links(text).flatMap(({ target, line }) => {
    const why = problem(file, target, files);
    return why === undefined ? [] : [`${file}:${String(line)} ${target}: ${why}`];
  });
}

describe('Markdown links: every relative link and #anchor resolves (http(s) is not fetched)', () => {
  const files = markdownFiles();

  it('finds the project Markdown (README.md, docs/, bench/README.md), none under node_modules', () => {
    expect(files).toContain('README.md');
    expect(files).toContain('docs/config.md');
    expect(files).toContain('bench/README.md');
    expect(files.filter((f) => f.includes('node_modules'))).toEqual([]);
  });

  it.each(files)('%s', (file) => {
    expect(brokenLinks(file)).toEqual([]);
  });
});

describe('the link checker itself', () => {
  it.each([
    ['Checking a connector: sigil ldap check', 'checking-a-connector-sigil-ldap-check'],
    ['Try the whole stack: docker-compose', 'try-the-whole-stack-docker-compose'],
    ['Results, 2026-11-28', 'results-2026-11-28'],
    ['`sigil keys` and `keys.rotationPeriod`', 'sigil-keys-and-keysrotationperiod'],
    ['**Bold** and [a link](x.md)', 'bold-and-a-link'],
    ['snake_case and _emphasis_', 'snake_case-and-emphasis'],
    ['A & B', 'a--b'],
    ['Émigré: café?', 'émigré-café'],
    ['x² ½', 'x-'],
  ])('slugs %j as GitHub does: %s', (heading, slug) => {
    expect(githubSlug(heading)).toBe(slug);
  });

  const table: Record<string, string> = {
    'README.md':
      '# Title\n\nSee [the guide](docs/guide.md#setup) and [dup](docs/guide.md#setup-1).\n',
    'docs/guide.md': [
      '# Guide',
      '## Setup',
      'text',
      '## Setup',
      'Underlined',
      '----------',
      '```md',
      '## Not a heading',
      '[in code](missing.md)',
      '```',
      '[ok](#underlined) [ok](../README.md#title) [ok](/README.md) [ext](https://example.com/#x)',
      '`[inline code](missing.md)` [ok](guide.md#guide)',
      '[gone](missing.md) [bad](#not-a-heading) [out](../../etc/passwd)',
      '[wrapped',
      'text](#nope) <a href="../README.md#title">ok</a> `a code span',
      'across lines [in code](missing.md)`',
      '',
      '| key | default |',
      '| --- | --- |',
      '| `` | `[in code](missing.md)` [cell](#setup-2) |',
    ].join('\n'),
  };
  const virtual: Files = {
    read: (path) => table[path],
    exists: (path) => path in table || path === 'docs',
  };

  it('accepts good links, numbers duplicate headings, and skips code and external links', () => {
    expect(brokenLinks('README.md', virtual)).toEqual([]);
  });

  it('reports a missing file, a missing anchor, a link out of the repository, each with its line', () => {
    expect(brokenLinks('docs/guide.md', virtual)).toEqual([
      'docs/guide.md:13 missing.md: docs/missing.md does not exist',
      'docs/guide.md:13 #not-a-heading: no such heading in docs/guide.md',
      'docs/guide.md:13 ../../etc/passwd: points outside the repository',
      'docs/guide.md:14 #nope: no such heading in docs/guide.md',
      'docs/guide.md:20 #setup-2: no such heading in docs/guide.md',
    ]);
  });
});
