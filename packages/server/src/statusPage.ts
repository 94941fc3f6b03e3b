import type { ServerStats } from './PatchbayServer.js';

function escape(s: string): string {
  return s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page served at `/` until the demo app lands: what is running and how to use it. */
export function statusPage(url: string, stats: ServerStats): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Patchbay</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;color:#1d2330}
code{background:#eef1f6;padding:.1rem .3rem;border-radius:4px}</style></head><body>
<h1>Patchbay is running</h1>
<p>Signaling: <code>${escape(url)}</code>. Channels: ${stats.channels}, participants: ${stats.participants}, publishing: ${stats.publishers}.</p>
<p>Publish a WAV file: <code>npx patchbay push tone.wav --channel demo</code><br>
Record what a channel hears: <code>npx patchbay record out.wav --channel demo --duration 10</code></p>
<p>Testing mode: any app id is accepted and tokens may be null. For development only.</p>
</body></html>`;
}
