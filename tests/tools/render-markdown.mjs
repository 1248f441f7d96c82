// Render Markdown files to HTML with marked (GitHub-flavoured: tables, autolinks) and print
// {file: html} as JSON, so tests can check what a reader would see.
// Usage: node render-markdown.mjs FILE...
import { readFileSync } from 'node:fs';
import { marked } from 'marked';

const out = {};
for (const file of process.argv.slice(2)) {
  out[file] = marked.parse(readFileSync(file, 'utf8'), { gfm: true, async: false });
}
process.stdout.write(JSON.stringify(out));
