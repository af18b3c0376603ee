// The html`` builder escapes every interpolation for where it stands and refuses the places where no
// escaping makes a value safe; rawHtml() is the only way around it and stays rare.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { boolAttr, escapeHtml, html, rawHtml, safeUrl, SafeHtml } from '../../engine/web/html.js';
import { ROOT } from '../helpers/server.js';

const PAYLOADS = [
  `<script>alert(1)</script>`,
  `"><img src=x onerror=alert(1)>`,
  `' onmouseover='alert(1)`,
  '`${alert(1)}`',
  `</textarea><svg onload=alert(1)>`,
  '&lt;already&gt;',
  '山田<b>太郎</b>',
];

describe('html``', () => {
  it('escapes text: no payload leaves a tag, quote or entity of its own', () => {
    for (const p of PAYLOADS) {
      const out = html`<p>${p}</p>`.value;
      const inner = out.slice(3, -4);
      assert.doesNotMatch(inner, /[<>"'`]/, out);
      assert.equal(inner.replace(/&(lt|gt|quot|#39|#96|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", '#96': '`', amp: '&' })[e]!), p);
    }
  });

  it('escapes quoted attribute values of either quote', () => {
    for (const p of PAYLOADS) {
      assert.doesNotMatch(html`<input value="${p}">`.value.slice(14, -2), /["'<>]/);
      assert.doesNotMatch(html`<input value='${p}'>`.value.slice(14, -2), /["'<>]/);
      assert.match(html`<a title="x ${p} y" class="c">t</a>`.value, /^<a title="x [^"'<>]* y" class="c">t<\/a>$/);
    }
  });

  it('makes script URLs inert in href, src and action', () => {
    for (const u of ['javascript:alert(1)', ' JaVaScRiPt:alert(1)', 'data:text/html,<script>', '//evil.example/x', '/\\evil.example', 'vbscript:x']) {
      assert.equal(html`<a href="${u}">x</a>`.value, '<a href="about:invalid">x</a>', u);
      assert.equal(html`<form action="${u}"></form>`.value, '<form action="about:invalid"></form>', u);
    }
    assert.equal(html`<a href="${'/domains?q=a&b=<c>'}">x</a>`.value, '<a href="/domains?q=a&amp;b=&lt;c&gt;">x</a>');
    // a URL whose start is fixed in the template stays on this site whatever the value: only entity-escaped
    assert.equal(html`<a href="/users/${'a%40b.example'}">x</a>`.value, '<a href="/users/a%40b.example">x</a>');
    assert.equal(html`<a href="/users/${'javascript:alert(1)'}">x</a>`.value, '<a href="/users/javascript:alert(1)">x</a>');
    assert.equal(html`<a href="#f-${'"><b>'}">x</a>`.value, '<a href="#f-&quot;&gt;&lt;b&gt;">x</a>');
    // "/" alone is no fixed start ("//evil.example" would leave the site), nor is a value before the slash
    assert.throws(() => html`<a href="/${'/evil.example'}">x</a>`, /URL attribute "href"/);
    assert.throws(() => html`<a href="${'/a'}/${'javascript:x'}">x</a>`, /URL attribute "href"/);
    assert.throws(() => html`<a href="mailto:${'x'}">x</a>`, /URL attribute "href"/);
    assert.equal(safeUrl('https://example.com/a'), 'https://example.com/a');
    assert.equal(safeUrl('mailto:a@example.com'), 'mailto:a@example.com');
  });

  it('refuses values where escaping cannot help', () => {
    const v = 'x';
    assert.throws(() => html`<a href=${v}>x</a>`, /unquoted/);
    assert.throws(() => html`<div ${v}>x</div>`, /boolAttr/);
    assert.throws(() => html`<a onclick="${v}">x</a>`, /onclick/);
    assert.throws(() => html`<a style="${v}">x</a>`, /style/);
    assert.throws(() => html`<iframe srcdoc="${v}"></iframe>`, /srcdoc/);
    assert.throws(() => html`<script>var a = ${v};</script>`, /<script>/);
    assert.throws(() => html`<style>p { color: ${v} }</style>`, /<style>/);
    assert.throws(() => html`<!-- ${v} -->`, /comment/);
    assert.throws(() => html`<p>${{ a: 1 }}</p>`, /cannot interpolate/);
    assert.throws(() => html`<p title="${html`<b>`}">x</p>`, /SafeHtml/);
    // after a script element closes, text is text again
    assert.equal(html`<script src="/a.js"></script><p>${'<i>'}</p>`.value, '<script src="/a.js"></script><p>&lt;i&gt;</p>');
  });

  it('nests SafeHtml, joins arrays, drops null/undefined/false, and only boolAttr stands bare in a tag', () => {
    const items = ['<a>', 'b'].map((s) => html`<li>${s}</li>`);
    assert.equal(html`<ul>${items}</ul>`.value, '<ul><li>&lt;a&gt;</li><li>b</li></ul>');
    assert.equal(html`<p>${null}${undefined}${false}${0}</p>`.value, '<p>0</p>');
    assert.equal(html`<input type="checkbox"${boolAttr('checked', true)}>`.value, '<input type="checkbox" checked>');
    assert.equal(html`<input type="checkbox"${boolAttr('checked', false)}>`.value, '<input type="checkbox">');
    assert.throws(() => boolAttr('onclick', true));
    assert.throws(() => html`<p>${boolAttr('hidden', true)}</p>`, /inside a tag/);
    assert.ok(html`x` instanceof SafeHtml);
    assert.equal(escapeHtml(`<&>"'\``), '&lt;&amp;&gt;&quot;&#39;&#96;');
  });

  it('rawHtml is used nowhere in engine/web but where it is defined', () => {
    const dir = path.join(ROOT, 'engine', 'web');
    const uses: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts') && p !== path.join(dir, 'html.ts') && /\brawHtml\(/.test(fs.readFileSync(p, 'utf8'))) uses.push(path.relative(ROOT, p));
      }
    };
    walk(dir);
    assert.deepEqual(uses, [], 'each rawHtml() needs review; none is needed yet');
    assert.equal(rawHtml('<b>').value, '<b>');
  });
});
