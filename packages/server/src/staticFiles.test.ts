import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { serveStatic } from './staticFiles.js';

function fakeResponse() {
  const body = new PassThrough();
  const chunks: Buffer[] = [];
  body.on('data', (c: Buffer) => chunks.push(c));
  const res = Object.assign(body, {
    status: 0,
    headers: {} as Record<string, string>,
    writeHead(status: number, headers: Record<string, string>) {
      res.status = status;
      res.headers = headers;
      return res;
    },
  });
  const text = () =>
    new Promise<string>((resolve) => body.on('end', () => resolve(Buffer.concat(chunks).toString())));
  return {
    res: res as unknown as ServerResponse & { status: number; headers: Record<string, string> },
    text,
  };
}

describe('serveStatic', () => {
  const root = mkdtempSync(join(tmpdir(), 'pb-static-'));
  writeFileSync(join(root, 'index.html'), '<h1>demo</h1>');
  writeFileSync(join(root, 'app.js'), 'x()');

  it("serves the route's index.html for its root, and files by extension", async () => {
    for (const [path, type, content] of [
      ['', 'text/html; charset=utf-8', '<h1>demo</h1>'],
      ['/', 'text/html; charset=utf-8', '<h1>demo</h1>'],
      ['app.js', 'text/javascript; charset=utf-8', 'x()'],
    ]) {
      const { res, text } = fakeResponse();
      assert.equal(serveStatic(root, path, res, false), true, path);
      assert.equal(res.headers['content-type'], type);
      assert.equal(await text(), content);
    }
  });

  it('refuses paths that escape the root, and missing files', () => {
    for (const path of ['../etc/passwd', '%2e%2e/%2e%2e/etc/passwd', 'nope.js', '%E0%A4%A']) {
      const { res } = fakeResponse();
      assert.equal(serveStatic(root, path, res, false), false, path);
    }
  });
});
