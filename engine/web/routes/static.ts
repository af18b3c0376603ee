// The web pages' CSS, JavaScript and icon, served from engine/web/static/ (read once at start-up, so a
// request never touches the disk or walks a path). URLs carry a content hash (?v=) for caching.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { assetDir } from '../assets.js';

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

interface Asset {
  body: Buffer;
  type: string;
  hash: string;
}

let assets: Map<string, Asset> | null = null;

function load(): Map<string, Asset> {
  if (assets) return assets;
  const dir = assetDir('static');
  const map = new Map<string, Asset>();
  for (const name of fs.readdirSync(dir).sort()) {
    const type = TYPES[path.extname(name)];
    if (!type || !/^[a-z0-9][a-z0-9._-]*$/.test(name)) continue;
    const body = fs.readFileSync(path.join(dir, name));
    map.set(name, { body, type, hash: crypto.createHash('sha256').update(body).digest('base64url').slice(0, 12) });
  }
  assets = map;
  return map;
}

/** The URL of a static file, with its content hash. */
export function assetUrl(name: string): string {
  const a = load().get(name);
  if (!a) throw new Error(`no static file ${name}`);
  return `/static/${name}?v=${a.hash}`;
}

export function registerStatic(app: FastifyInstance): void {
  const files = load();
  app.get<{ Params: { name: string } }>('/static/:name', { config: { access: { guard: 'public' } } }, async (req, reply) => {
    const a = files.get(req.params.name);
    if (!a) return reply.callNotFound();
    const etag = `"${a.hash}"`;
    reply.header('cache-control', 'public, max-age=86400').header('etag', etag).type(a.type);
    if (req.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.send(a.body);
  });
}
