// The cashier workplace is plain HTML, CSS and JS under api/static (no build step). The files are
// read once when the server starts and served from memory; only names listed here are served, so
// no request path ever reaches the file system.
import fs from 'node:fs';
import path from 'node:path';

export const STATIC_DIR = path.resolve(__dirname, 'static');

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};

/** Every file the server may send; anything else under /static is 404. */
export const STATIC_FILES = [
  'cashier.html', 'cashier.css', 'cashier.js', 'cashier-api.js', 'cashier-dom.js', 'cashier-format.js', 'cashier-messages.js', 'cashier-views.js',
  'invoice.css', 'cabinet.html', 'cabinet.css', 'cabinet.js',
] as const;
export type StaticFileName = (typeof STATIC_FILES)[number];

export interface StaticFile {
  content: Buffer;
  contentType: string;
}

export function loadStaticFiles(dir: string = STATIC_DIR): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const name of STATIC_FILES) {
    const contentType = CONTENT_TYPES[path.extname(name)];
    if (!contentType) throw new Error(`invariant: no content type for static file ${name}`);
    files.set(name, { content: fs.readFileSync(path.join(dir, name)), contentType });
  }
  return files;
}

let invoiceCss: string | undefined;

/** The invoice styles, inlined into invoice.html so that a saved page prints the same. */
export function invoiceCssText(): string {
  invoiceCss ??= fs.readFileSync(path.join(STATIC_DIR, 'invoice.css'), 'utf8');
  return invoiceCss;
}
