// tegami web pages: a little progressive JavaScript (the pages work without it). Served as a file: the
// Content-Security-Policy allows no inline script. Never writes HTML: text goes in through textContent.
'use strict';

/** The page's CSRF token, for fetch() calls that change state (sent as X-CSRF-Token). */
function csrfToken() {
  const m = document.querySelector('meta[name="csrf-token"]');
  return m ? m.getAttribute('content') : '';
}

/** fetch() on this origin with the session cookie and, for state-changing methods, the CSRF header. */
async function tegamiFetch(url, init = {}) {
  const method = (init.method || 'GET').toUpperCase();
  const headers = new Headers(init.headers || {});
  headers.set('Accept', 'application/json');
  if (!['GET', 'HEAD', 'OPTIONS'].includes(method)) headers.set('X-CSRF-Token', csrfToken());
  return fetch(url, { ...init, method, headers, credentials: 'same-origin', redirect: 'error' });
}
window.tegamiFetch = tegamiFetch;

/** Fill a template like "{{days}} d {{hours}} h" from values (the template comes from the catalogue). */
function fill(template, values) {
  return template.replace(/\{\{(\w+)\}\}/g, (_, k) => (k in values ? String(values[k]) : ''));
}

/** Elements with data-refresh="/api/…" and data-template: the uptime on the dashboard. */
async function refreshUptime(el) {
  try {
    const r = await tegamiFetch(el.dataset.refresh);
    if (!r.ok) return;
    const s = (await r.json()).uptimeSeconds;
    if (typeof s !== 'number') return;
    el.textContent = fill(el.dataset.template, { days: Math.floor(s / 86400), hours: Math.floor((s % 86400) / 3600), minutes: Math.floor((s % 3600) / 60) });
    el.dataset.refreshed = 'true';
  } catch {
    // offline or signed out: the server-rendered value stays
  }
}

/** Webmail: the header checkbox of a message list checks or clears every row. */
function wireSelectAll() {
  for (const all of document.querySelectorAll('input.select-all')) {
    all.addEventListener('change', () => {
      const form = all.closest('form');
      if (!form) return;
      for (const box of form.querySelectorAll('input[type="checkbox"][name="id"]')) box.checked = all.checked;
    });
  }
}

/** Webmail compose: files chosen are uploaded to JMAP (/jmap/upload) at once; the form carries their blob ids. */
function wireUploads() {
  for (const input of document.querySelectorAll('input[type="file"][data-upload]')) {
    const list = input.closest('form').querySelector('ul.uploads');
    input.addEventListener('change', async () => {
      for (const file of input.files) {
        const li = document.createElement('li');
        li.textContent = file.name;
        list.append(li);
        try {
          const r = await tegamiFetch(input.dataset.upload, { method: 'POST', body: file, headers: { 'Content-Type': file.type || 'application/octet-stream' } });
          if (!r.ok) throw new Error(String(r.status));
          const blob = await r.json();
          const hidden = document.createElement('input');
          hidden.type = 'hidden';
          hidden.name = 'attachment';
          hidden.value = JSON.stringify({ blobId: blob.blobId, type: blob.type, name: file.name });
          li.append(hidden);
          li.dataset.uploaded = 'true';
        } catch {
          li.textContent = `${file.name}: ${input.dataset.failed}`;
          li.className = 'error';
        }
      }
      input.value = '';
    });
  }
}

/** Webmail: a message list listens to the JMAP event source and says when new mail has arrived. */
function wireNewMail() {
  const note = document.querySelector('[data-events]');
  if (!note || typeof EventSource !== 'function') return;
  const events = new EventSource(note.dataset.events);
  events.addEventListener('state', () => {
    note.hidden = false;
    events.close();
  });
}

/** Webmail keyboard shortcuts (outside text fields): c new message, / search. */
function wireShortcuts() {
  if (!document.body.classList.contains('webmail')) return;
  document.addEventListener('keydown', (ev) => {
    const t = ev.target;
    if (ev.ctrlKey || ev.metaKey || ev.altKey || (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)))) return;
    if (ev.key === 'c') {
      const a = document.querySelector('a.compose');
      if (a) location.assign(a.getAttribute('href'));
    } else if (ev.key === '/') {
      const q = document.querySelector('form.search input[name="q"]');
      if (q) {
        ev.preventDefault();
        q.focus();
      }
    }
  });
}

document.addEventListener('DOMContentLoaded', () => {
  wireSelectAll();
  wireShortcuts();
  wireUploads();
  wireNewMail();
  for (const el of document.querySelectorAll('[data-refresh][data-template]')) {
    refreshUptime(el);
    setInterval(() => refreshUptime(el), 60_000);
  }
});

/** Forms with data-confirm ask before they are sent (delete, remove). */
document.addEventListener('submit', (ev) => {
  const form = ev.target;
  if (!(form instanceof HTMLFormElement)) return;
  const question = form.dataset.confirm;
  if (question && !window.confirm(question)) ev.preventDefault();
});

/** <input type=file data-fills=ID>: the chosen file's text goes into the textarea (the form still posts text). */
document.addEventListener('change', async (ev) => {
  const input = ev.target;
  if (!(input instanceof HTMLInputElement) || input.type !== 'file' || !input.dataset.fills) return;
  const target = document.getElementById(input.dataset.fills);
  const file = input.files && input.files[0];
  if (!target || !file) return;
  target.value = await file.text();
});

/** Elements with data-live="/api/…" and data-signature: poll, and reload the page when the answer changed. */
function watchLive(el) {
  const tick = async () => {
    try {
      const r = await tegamiFetch(el.dataset.live);
      if (!r.ok) return;
      const body = await r.json();
      // reload only when nobody is in the middle of a form on this page
      if (typeof body.signature === 'string' && body.signature !== el.dataset.signature && !document.activeElement?.closest?.('form')) location.reload();
      else el.dataset.polled = String(Date.now());
    } catch {
      // offline or signed out: the page stays as it is
    }
  };
  setInterval(tick, 5000);
}

document.addEventListener('DOMContentLoaded', () => {
  for (const el of document.querySelectorAll('[data-live][data-signature]')) watchLive(el);
});

/** The composer's From select: the signature in the text follows the identity chosen (data-sig on each option).
 * The page puts it first ("\n\n-- \nSIG", above any quoted text); a signature the user has edited is left alone. */
document.addEventListener('DOMContentLoaded', () => {
  const select = document.getElementById('c-from');
  const body = document.getElementById('c-body');
  if (!(select instanceof HTMLSelectElement) || !(body instanceof HTMLTextAreaElement)) return;
  const block = (sig) => (sig ? `\n\n-- \n${sig}` : '');
  let was = select.selectedOptions[0]?.dataset.sig ?? '';
  select.addEventListener('change', () => {
    const next = select.selectedOptions[0]?.dataset.sig ?? '';
    const at = was ? body.value.indexOf(block(was)) : -1;
    if (at >= 0) body.value = body.value.slice(0, at) + block(next) + body.value.slice(at + block(was).length);
    else if (!was && (body.value === '' || body.value.startsWith('\n\n'))) body.value = block(next) + body.value;
    was = next;
  });
});
