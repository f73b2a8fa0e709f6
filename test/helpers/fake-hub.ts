/**
 * A local HTTP server that answers like the Hugging Face Hub: HEAD/GET of
 * /<owner>/<name>/resolve/<revision>/<file> with X-Repo-Commit and ETag headers; LFS files
 * redirect (302) to a CDN path with X-Linked-Etag (sha256) and X-Linked-Size, and the CDN
 * honours Range requests. Tests can make the CDN drop a transfer part-way or serve damaged bytes.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeHubFile {
  readonly path: string;
  readonly content: Uint8Array;
  /** Served through the LFS/CDN redirect (what the Hub does for model weights). */
  readonly lfs?: boolean;
}

export interface FakeHubRepo {
  readonly id: string;
  readonly files: readonly FakeHubFile[];
  readonly commit?: string;
}

export interface FakeHubRequest {
  readonly method: string;
  readonly path: string;
  readonly range?: string;
}

export interface FakeHub {
  readonly url: string;
  readonly requests: FakeHubRequest[];
  /** The next `times` CDN transfers of `file` stop after `bytes` bytes (socket destroyed). */
  dropTransfer(file: string, bytes: number, times?: number): void;
  /** CDN transfers of `file` flip one byte (the advertised sha256 no longer matches). */
  corrupt(file: string): void;
  /** Every request answers 503 until called again with false. */
  down(value: boolean): void;
  commitOf(repo: string): string;
  close(): Promise<void>;
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function gitBlobSha1(data: Uint8Array): string {
  return createHash('sha1').update(`blob ${data.byteLength}\0`).update(data).digest('hex');
}

export async function startFakeHub(repos: readonly FakeHubRepo[]): Promise<FakeHub> {
  const commits = new Map(repos.map((r) => [r.id, r.commit ?? randomBytes(20).toString('hex')]));
  const bySha = new Map<string, FakeHubFile>();
  for (const repo of repos) for (const f of repo.files) if (f.lfs) bySha.set(sha256(f.content), f);
  const drops = new Map<string, { bytes: number; times: number }>();
  const corrupted = new Set<string>();
  const requests: FakeHubRequest[] = [];
  let isDown = false;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({ method: req.method ?? 'GET', path: decodeURIComponent(url.pathname), ...(req.headers.range ? { range: req.headers.range } : {}) });
    if (isDown) {
      res.writeHead(503).end('down');
      return;
    }
    const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(url.pathname);
    if (cdn) {
      const file = bySha.get(cdn[1] as string);
      if (!file) {
        res.writeHead(404).end();
        return;
      }
      let body = Buffer.from(file.content);
      if (corrupted.has(file.path)) {
        body = Buffer.from(body);
        const middle = body.length >> 1;
        body[middle] = (body[middle] as number) ^ 0xff;
      }
      let start = 0;
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      if (range) start = Number(range[1]);
      if (start > body.length) {
        res.writeHead(416).end();
        return;
      }
      const part = body.subarray(start);
      const headers = { 'Content-Length': String(part.length), 'Content-Type': 'application/octet-stream', ...(range ? { 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}) };
      res.writeHead(range ? 206 : 200, headers);
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      const drop = drops.get(file.path);
      if (drop && drop.times > 0 && drop.bytes - start > 0) {
        drop.times--;
        res.write(part.subarray(0, drop.bytes - start), () => setTimeout(() => res.socket?.destroy(), 20));
        return;
      }
      res.end(part);
      return;
    }
    const m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(decodeURIComponent(url.pathname));
    const repo = m ? repos.find((r) => r.id === m[1]) : undefined;
    if (!m || !repo) {
      res.writeHead(401, { 'X-Error-Code': 'RepositoryNotFound' }).end('Repository not found');
      return;
    }
    const commit = commits.get(repo.id) as string;
    if (m[2] !== 'main' && m[2] !== commit) {
      res.writeHead(404, { 'X-Error-Code': 'RevisionNotFound' }).end('Revision not found');
      return;
    }
    const file = repo.files.find((f) => f.path === m[3]);
    if (!file) {
      res.writeHead(404, { 'X-Error-Code': 'EntryNotFound', 'X-Repo-Commit': commit }).end('Entry not found');
      return;
    }
    if (file.lfs) {
      const sha = sha256(file.content);
      res
        .writeHead(302, {
          Location: `/cdn/${sha}`,
          'X-Repo-Commit': commit,
          'X-Linked-Etag': `"${sha}"`,
          'X-Linked-Size': String(file.content.byteLength),
          ETag: `"${gitBlobSha1(file.content)}"`,
        })
        .end();
      return;
    }
    res.writeHead(200, { 'X-Repo-Commit': commit, ETag: `"${gitBlobSha1(file.content)}"`, 'Content-Length': String(file.content.byteLength) });
    res.end(req.method === 'HEAD' ? undefined : Buffer.from(file.content));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    dropTransfer(file, bytes, times = 1) {
      drops.set(file, { bytes, times });
    },
    corrupt(file) {
      corrupted.add(file);
    },
    down(value) {
      isDown = value;
    },
    commitOf(repo) {
      return commits.get(repo) as string;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
