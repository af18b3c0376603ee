// The backup page and API (system admin): make a `tegami backup` file (engine/ops/backup.ts: the config,
// the database snapshot — accounts, settings, sessions — keys, DKIM, TLS, optionally mail and Bayes) and send
// it to the browser as it is read from disk, unlinked as soon as it is open, so the server keeps no copy; and show the last backup made
// by `tegami backup` (run/last-backup.json) and, apart, the last download (run/last-download.json). The file is
// never kept under a guessable name.
import { readLastBackup, recordLastBackup, type LastBackup } from '../../ops/last-backup.js';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { html } from '../html.js';
import { formatNumber } from '../i18n.js';
import type { View } from '../layout.js';
import type { WebDeps } from '../types.js';
import { apiRoute, checked, errorSchema, formBody, page, pageRoute, when } from './common.js';
import { checkbox, form } from './forms.js';
import type { AdminServices } from './services.js';
import { formatBytes } from './usage.js';

/** Remove what a process that died while making a backup left behind (an hour is longer than any backup takes). */
function sweepLeftovers(dir: string): void {
  const before = Date.now() - 3600_000;
  for (const e of fs.readdirSync(dir)) {
    const p = path.join(dir, e);
    try {
      if (fs.statSync(p).mtimeMs < before) fs.rmSync(p, { force: true, recursive: true });
    } catch { /* gone meanwhile */ }
  }
}

/** Make a backup into a private temporary file and stream it out; the copy is unlinked once open (or on error). */
async function sendBackup(req: FastifyRequest, reply: FastifyReply, svc: AdminServices, o: { withMail: boolean; withBayes: boolean }): Promise<FastifyReply | null> {
  const dir = path.join(svc.dataDir, 'run', 'web-backups');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const name = `tegami-${svc.config.hostname}-${stamp}.tar.gz`.replace(/[^A-Za-z0-9._-]/g, '_');
  const file = path.join(dir, `${crypto.randomBytes(12).toString('hex')}.tar.gz`);
  sweepLeftovers(dir);
  const r = await svc.backup(file, o);
  if (!r.ok) {
    await fs.promises.rm(file, { force: true });
    req.audit = { action: 'backup.download', result: 'error', detail: { reason: r.reason } };
    return null;
  }
  const m = r.manifest;
  // a download is not the last backup (the server keeps no copy): it has its own record
  recordLastBackup(svc.dataDir, { file: name, created: m.created, bytes: r.archiveBytes, files: m.counts.files, messages: m.counts.messages, includes: m.includes as unknown as Record<string, unknown>, by: req.caller?.user.address }, 'download');
  req.audit = { action: 'backup.download', detail: { bytes: r.archiveBytes, mail: o.withMail } };
  // Open, then unlink at once: the open descriptor keeps the bytes readable while they are sent, and no copy is
  // left on disk from the moment the response starts (nor if the process dies mid-send).
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, 'r');
  } finally {
    await fs.promises.rm(file, { force: true });
  }
  const stream = fh.createReadStream();
  reply.raw.on('close', () => stream.destroy());
  return reply
    .type('application/gzip')
    .header('content-disposition', `attachment; filename="${name}"`)
    .header('content-length', String(r.archiveBytes))
    .send(stream);
}

export function registerBackup(app: FastifyInstance, _deps: WebDeps, svc: AdminServices): void {
  app.get('/backup', { config: pageRoute('system-admin') }, async (req, reply) => {
    const last = readLastBackup(svc.dataDir);
    const dl = readLastBackup(svc.dataDir, 'download');
    const facts = (v: View, b: LastBackup) => html`<dt>${v.t('backup.when')}</dt><dd>${when(Date.parse(b.created), v.locale)}</dd><dt>${v.t('backup.file')}</dt><dd>${b.file}</dd>
          <dt>${v.t('backup.size')}</dt><dd>${formatBytes(b.bytes, v.locale)}</dd><dt>${v.t('backup.contents')}</dt><dd>${v.t('backup.counts', { files: formatNumber(b.files, v.locale), messages: formatNumber(b.messages, v.locale) })}</dd>`;
    return page(req, reply, req.t('backup.title'), (v) => html`<h1>${v.t('backup.title')}</h1>
      <section aria-labelledby="last-h"><h2 id="last-h">${v.t('backup.last')}</h2>
        ${last ? html`<dl id="last-backup">${facts(v, last)}</dl>` : html`<p class="empty" id="last-backup">${v.t('backup.never')}</p>`}</section>
      <section aria-labelledby="download-h"><h2 id="download-h">${v.t('backup.lastDownload')}</h2>
        ${dl ? html`<dl id="last-download">${facts(v, dl)}${dl.by ? html`<dt>${v.t('backup.downloadedBy')}</dt><dd>${dl.by}</dd>` : ''}</dl>` : html`<p class="empty" id="last-download">${v.t('backup.neverDownloaded')}</p>`}
        <p class="hint">${v.t('backup.downloadNote')}</p></section>
      <section aria-labelledby="make-h"><h2 id="make-h">${v.t('backup.make')}</h2><p>${v.t('backup.help')}</p>
        ${form(v, '/backup', html`${checkbox(v, { name: 'withMail', label: v.t('backup.withMail'), checked: false })}${checkbox(v, { name: 'withBayes', label: v.t('backup.withBayes'), checked: false })}`, { submit: v.t('backup.download') })}</section>`);
  });

  app.post<{ Body: { withMail?: string; withBayes?: string } }>('/backup', { config: pageRoute('system-admin'), schema: { body: formBody({ withMail: 10, withBayes: 10 }) } }, async (req, reply) => {
    const sent = await sendBackup(req, reply, svc, { withMail: checked(req.body.withMail), withBayes: checked(req.body.withBayes) });
    if (sent) return sent;
    return page(req, reply, req.t('backup.title'), (v) => html`<h1>${v.t('backup.title')}</h1><p class="error" role="alert">${v.t('backup.failed')}</p><p><a href="/backup">${v.t('backup.title')}</a></p>`, 500);
  });

  app.post<{ Querystring: { mail?: boolean; bayes?: boolean } }>('/api/v1/backup', {
    config: apiRoute('system-admin'),
    schema: { querystring: { type: 'object', additionalProperties: false, properties: { mail: { type: 'boolean' }, bayes: { type: 'boolean' } } }, response: { '4xx': errorSchema } },
  }, async (req, reply) => {
    const sent = await sendBackup(req, reply, svc, { withMail: !!req.query.mail, withBayes: !!req.query.bayes });
    return sent ?? reply.code(500).send({ error: 'internal', message: req.t('backup.failed') });
  });

  app.get('/api/v1/backup/last', {
    config: apiRoute('system-admin'),
    schema: { response: { 200: { type: 'object', properties: { last: { type: ['object', 'null'], additionalProperties: true }, last_download: { type: ['object', 'null'], additionalProperties: true } } }, '4xx': errorSchema } },
  }, async () => ({ last: readLastBackup(svc.dataDir), last_download: readLastBackup(svc.dataDir, 'download') }));

}
