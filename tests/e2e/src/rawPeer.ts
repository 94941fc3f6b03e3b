import { WebSocket } from 'ws';
import { sleep } from './support.js';

export type Msg = Record<string, unknown>;

/** A raw signaling peer: sends any frame, matches replies by id, keeps every message. */
export async function rawPeer(url: string, options: { rejectUnauthorized?: boolean } = {}) {
  const ws = new WebSocket(url, options);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const inbox: Msg[] = [];
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  ws.on('message', (data) => inbox.push(JSON.parse(String(data)) as Msg));
  let nextId = 1;
  const waitMsg = async (pred: (m: Msg) => boolean, timeoutMs = 5000): Promise<Msg> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const i = inbox.findIndex(pred);
      if (i >= 0) return inbox.splice(i, 1)[0];
      if (Date.now() > end) throw new Error(`no such message; inbox: ${JSON.stringify(inbox).slice(0, 300)}`);
      await sleep(5);
    }
  };
  const request = (message: Msg): Promise<Msg> => {
    const id = nextId++;
    ws.send(JSON.stringify({ ...message, id }));
    return waitMsg((m) => (m.type === 'result' || m.type === 'error') && m.id === id);
  };
  return { ws, inbox, closed, waitMsg, request, close: () => ws.close() };
}

export type RawPeer = Awaited<ReturnType<typeof rawPeer>>;
