/**
 * A local HTTP server speaking the OpenAI chat completions format (POST /v1/chat/completions),
 * whose behaviour a test scripts per request: answer, answer slowly, fail, or send garbage.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type ChatBehaviour =
  | { readonly kind: 'answer'; readonly text: string; readonly delayMs?: number }
  | { readonly kind: 'status'; readonly status: number; readonly body: string }
  | { readonly kind: 'garbage'; readonly body: string }
  | { readonly kind: 'hang' };

export interface ChatRequestRecord {
  readonly model: string;
  readonly messages: { role: string; content: unknown }[];
  readonly authorization?: string;
}

export interface FakeChat {
  /** Base URL to configure, ending in /v1. */
  readonly url: string;
  readonly requests: ChatRequestRecord[];
  /** Behaviours used in order; the last one repeats. */
  script(...behaviours: ChatBehaviour[]): void;
  close(): Promise<void>;
}

export async function startFakeChat(): Promise<FakeChat> {
  let queue: ChatBehaviour[] = [{ kind: 'answer', text: 'a woman standing in a garden' }];
  const requests: ChatRequestRecord[] = [];
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'Content-Type': 'text/html' }).end('<html>not here</html>');
      return;
    }
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { model: string; messages: { role: string; content: unknown }[] };
      requests.push({ model: parsed.model, messages: parsed.messages, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
      const behaviour = (queue.length > 1 ? queue.shift() : queue[0]) as ChatBehaviour;
      if (behaviour.kind === 'hang') return;
      if (behaviour.kind === 'status') {
        res.writeHead(behaviour.status, { 'Content-Type': 'application/json' }).end(behaviour.body);
        return;
      }
      if (behaviour.kind === 'garbage') {
        res.writeHead(200, { 'Content-Type': 'text/html' }).end(behaviour.body);
        return;
      }
      const send = () =>
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(
          JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', model: parsed.model, choices: [{ index: 0, message: { role: 'assistant', content: behaviour.text }, finish_reason: 'stop' }] }),
        );
      if (behaviour.delayMs) setTimeout(send, behaviour.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    script(...behaviours) {
      queue = behaviours;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
