// The JMAP endpoints on the webmail server: the Session resource at /.well-known/jmap, the API at /jmap/api,
// uploads, downloads and the event source. Each is an API route of the web foundation (Basic, Bearer or the
// webmail session; 401 as JSON, never a redirect; CSRF for a browser's POST), registered in a plugin of its own
// so its body handling (raw bodies, its own size limits) and its errors (problem details) stay here.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import fs from 'node:fs';
import { requireRole } from '../web/roles.js';
import { securityHeaders } from '../web/headers.js';
import { clientIp } from '../web/app.js';
import type { User } from '../accounts/directory.js';
import { accountIdOf, originOf, sessionObject } from './capabilities.js';
import { problem, type Problem } from './errors.js';
import { blobSizeBound, readBlob } from './mail/blob-source.js';
import { eventSourceOptions, serveEvents } from './push.js';
import { parseBody, runRequest } from './request.js';
import type { JmapService } from './service.js';
import { CallContext } from './request.js';

const access = { guard: requireRole('signed-in'), api: true } as const;
const MIME_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(?:;[ \t]*[A-Za-z0-9._-]{1,40}=[A-Za-z0-9._"-]{1,80}){0,3}$/;

function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  if (p.status === 401) reply.header('www-authenticate', 'Bearer realm="tegami"');
  return reply.code(p.status).type('application/problem+json').send(p);
}

/** Read a request body up to `max` bytes; null when it is longer (the rest is not read). */
async function readLimited(stream: Readable | undefined, max: number): Promise<Buffer | null> {
  if (!stream) return Buffer.alloc(0); // no body at all
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** 503 with Retry-After: the node's memory for uploads and downloads held whole ([web] jmap_memory) is in use. */
function sendBusy(reply: FastifyReply, what: string): FastifyReply {
  reply.header('retry-after', '5');
  return sendProblem(reply, { type: 'about:blank', status: 503, detail: `The server holds too many ${what} in memory now; try again shortly` });
}

function contentLength(req: FastifyRequest): number | null {
  const v = req.headers['content-length'];
  return v !== undefined && /^\d{1,15}$/.test(v) ? Number(v) : null;
}

/** RFC 6266 Content-Disposition for a download name (ASCII fallback plus the UTF-8 form). */
function disposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_').slice(0, 200) || 'download';
  const utf8 = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${utf8}`;
}

export async function registerJmap(app: FastifyInstance, svc: JmapService): Promise<void> {
  await app.register(async (jmap) => {
    // bodies are read by the handlers themselves, as raw bytes, within the JMAP limits
    jmap.removeAllContentTypeParsers();
    jmap.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    jmap.setErrorHandler((err: FastifyError, req, reply) => {
      const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status >= 500) svc.log('http-error', { route: req.routeOptions.url, error: err.message }, 'error');
      if (req.url.startsWith('/jmap/api') && status < 500) return sendProblem(reply, problem('notJSON', 400, 'The request could not be read as JSON'));
      return sendProblem(reply, { type: 'about:blank', status, detail: status < 500 ? err.message : 'The server failed to answer this request' });
    });
    // downloads: an HTML or SVG blob opened in the browser must not run at the webmail's origin
    jmap.addHook('onSend', async (req, reply, payload) => {
      if (req.url.startsWith('/jmap/download/')) reply.header('content-security-policy', "default-src 'none'; sandbox");
      return payload;
    });

    const user = (req: FastifyRequest): User => req.caller!.user;
    const session = (req: FastifyRequest) =>
      sessionObject({
        address: user(req).address,
        limits: svc.limits,
        submission: !!svc.deps.submit,
        maxMessageSize: svc.deps.maxMessageSize,
        origin: originOf(req.headers.host),
      });

    jmap.get('/.well-known/jmap', { config: { access } }, async (req, reply) => {
      reply.header('cache-control', 'no-cache, no-store, must-revalidate');
      return reply.type('application/json; charset=utf-8').send(session(req));
    });

    jmap.post('/jmap/api', { config: { access } }, async (req, reply) => {
      const u = user(req);
      const type = String(req.headers['content-type'] ?? '');
      if (!/^application\/json\s*(;|$)/i.test(type)) return sendProblem(reply, problem('notJSON', 400, 'The request must be application/json'));
      const declared = contentLength(req);
      if (declared !== null && declared > svc.limits.maxSizeRequest) {
        reply.header('connection', 'close');
        return sendProblem(reply, problem('limit', 400, `The request is larger than ${svc.limits.maxSizeRequest} octets`, 'maxSizeRequest'));
      }
      const release = svc.acquire('api', u.address, svc.limits.maxConcurrentRequests);
      if (!release) return sendProblem(reply, problem('limit', 429, `At most ${svc.limits.maxConcurrentRequests} requests at once`, 'maxConcurrentRequests'));
      try {
        const body = await readLimited(req.body as Readable | undefined, svc.limits.maxSizeRequest);
        if (!body) {
          reply.header('connection', 'close');
          return sendProblem(reply, problem('limit', 400, `The request is larger than ${svc.limits.maxSizeRequest} octets`, 'maxSizeRequest'));
        }
        const parsed = parseBody(body);
        if (!parsed.ok) return sendProblem(reply, parsed.problem);
        const out = await runRequest(parsed.value, svc, u, { submission: !!svc.deps.submit, sessionState: session(req).state as string, ip: clientIp(req) });
        if (!out.ok) return sendProblem(reply, out.problem);
        return reply.type('application/json; charset=utf-8').send(out.body);
      } finally {
        release();
      }
    });

    jmap.post('/jmap/upload/:accountId', { config: { access } }, async (req, reply) => {
      const u = user(req);
      const { accountId } = req.params as { accountId: string };
      if (accountId !== accountIdOf(u.address)) return sendProblem(reply, { type: 'about:blank', status: 404, detail: 'No such account' });
      const declared = contentLength(req);
      if (declared !== null && declared > svc.limits.maxSizeUpload) {
        reply.header('connection', 'close');
        return sendProblem(reply, problem('limit', 413, `Uploads are at most ${svc.limits.maxSizeUpload} octets`, 'maxSizeUpload'));
      }
      const release = svc.acquire('upload', u.address, svc.limits.maxConcurrentUpload);
      if (!release) return sendProblem(reply, problem('limit', 429, `At most ${svc.limits.maxConcurrentUpload} uploads at once`, 'maxConcurrentUpload'));
      try {
        const rawType = String(req.headers['content-type'] ?? 'application/octet-stream').trim();
        const type = MIME_TYPE.test(rawType) ? rawType.toLowerCase() : 'application/octet-stream';
        const out = await svc.blobs.upload(u.address, type, (req.body as Readable | undefined) ?? ([] as Buffer[]));
        if (!out.ok) {
          reply.header('connection', 'close');
          if (out.reason === 'tooLarge') return sendProblem(reply, problem('limit', 413, `Uploads are at most ${svc.limits.maxSizeUpload} octets`, 'maxSizeUpload'));
          if (out.reason === 'busy') {
            svc.log('memory-busy', { user: u.address, what: 'upload', held: svc.memory.used, max: svc.memory.max }, 'warn');
            return sendBusy(reply, 'uploads');
          }
          return sendProblem(reply, { type: 'about:blank', status: 400, detail: 'The upload was not received whole' });
        }
        svc.log('upload', { user: u.address, size: out.blob.size });
        return reply.code(201).type('application/json; charset=utf-8').send({ accountId, ...out.blob });
      } finally {
        release();
      }
    });

    jmap.get('/jmap/download/:accountId/:blobId/:name', { config: { access } }, async (req, reply) => {
      const u = user(req);
      const { accountId, blobId, name } = req.params as { accountId: string; blobId: string; name: string };
      const { type } = req.query as { type?: unknown };
      if (accountId !== accountIdOf(u.address) || !/^[A-Za-z0-9_-]{1,255}$/.test(blobId)) return sendProblem(reply, { type: 'about:blank', status: 404, detail: 'No such blob' });
      const ctype = typeof type === 'string' && MIME_TYPE.test(type) ? type : 'application/octet-stream';
      reply.header('content-disposition', disposition(name));
      // never kept in the browser's cache: an attachment opened on a shared computer must not outlive the logout
      // (docs/security-review-4.md, left open); a blob's bytes never change, but privacy outweighs a second download
      reply.header('cache-control', 'private, no-store');
      reply.type(ctype);
      const file = svc.blobs.file(u.address, blobId);
      if (file) return reply.send(fs.createReadStream(file));
      // the rest is read whole into memory (a stored message or part, an upload on PostgreSQL) and held until it is
      // written to the client: a few at a time per account, as API requests, or one account could fill the node's memory
      const release = svc.acquire('download', u.address, svc.limits.maxConcurrentRequests);
      if (!release) {
        reply.removeHeader('content-disposition');
        reply.header('cache-control', 'no-store');
        return sendProblem(reply, problem('limit', 429, `At most ${svc.limits.maxConcurrentRequests} downloads at once`, 'maxConcurrentRequests'));
      }
      const ctx = new CallContext(svc, u, new Map(), new Set(), clientIp(req));
      // and within the node's memory budget, over every account: its size is claimed before it is read
      const bound = await blobSizeBound(ctx, blobId).catch((e: unknown) => {
        release();
        throw e;
      });
      const held = svc.memory.claim();
      if (bound !== null && !held.grow(bound)) {
        release();
        svc.log('memory-busy', { user: u.address, what: 'download', held: svc.memory.used, max: svc.memory.max }, 'warn');
        reply.removeHeader('content-disposition');
        reply.header('cache-control', 'no-store');
        return sendBusy(reply, 'downloads');
      }
      const done = (): void => {
        held.release();
        release();
      };
      reply.raw.once('close', done).once('finish', done);
      const bytes = await readBlob(ctx, blobId).catch((e: unknown) => {
        done();
        throw e;
      });
      // the copies made to read it are gone: what stays held until the client has it is the bytes
      if (bytes) held.keep(bytes.length);
      if (!bytes) {
        reply.removeHeader('content-disposition');
        reply.header('cache-control', 'no-store');
        return sendProblem(reply, { type: 'about:blank', status: 404, detail: 'No such blob' });
      }
      return reply.send(bytes);
    });

    jmap.get('/jmap/eventsource', { config: { access } }, async (req, reply) => {
      const u = user(req);
      const last = req.headers['last-event-id'];
      const o = eventSourceOptions(req.query as Record<string, unknown>, typeof last === 'string' ? last : undefined);
      if (!o) return sendProblem(reply, { type: 'about:blank', status: 400, detail: 'types, closeafter (state or no) and ping (seconds) are required' });
      const release = svc.acquire('events', u.address, svc.limits.maxEventSources);
      if (!release) return sendProblem(reply, problem('limit', 429, `At most ${svc.limits.maxEventSources} event sources at once`, 'maxEventSources'));
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        ...securityHeaders('webmail'),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-store',
        'x-accel-buffering': 'no',
      });
      svc.log('eventsource', { user: u.address, ping: o.ping, closeafter: o.closeAfterState ? 'state' : 'no' });
      try {
        await serveEvents(svc, u, res, o);
      } finally {
        release();
      }
    });

    // a server closing ends its event streams (they would otherwise keep it open)
    jmap.addHook('preClose', async () => {
      for (const res of svc.streams) res.end();
    });
  });
}
