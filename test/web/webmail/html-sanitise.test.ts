// The HTML sanitiser of the mail frame on its own: hostile markup in, only inert markup out (no script, handler,
// frame, form, base, meta or remote fetch), remote images counted and kept only on request, cid: resolved by the
// caller, CSS with no way to fetch (url(), image-set(), @import, escapes spelling "url"). The browser check is
// xss-frame.test.ts; this pins the sanitiser's output so a change to its allow-list shows here first.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inertCss, sanitiseMailHtml } from '../../../engine/web/webmail/html-sanitise.js';

const clean = (html: string, remoteImages = false) => sanitiseMailHtml(html, { remoteImages, cid: (c) => (c === 'logo@x' ? 'data:image/png;base64,QQ==' : undefined) });

describe('sanitiseMailHtml', () => {
  it('drops every active element and attribute', () => {
    const cases = [
      '<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '<body onload=alert(1)>', '<svg onload=alert(1)><script>1</script></svg>',
      '<iframe srcdoc="<script>1</script>"></iframe>', '<object data=x></object>', '<embed src=x>', '<form action=https://e/><input name=a><button>b</button></form>',
      '<base href="https://evil/">', '<meta http-equiv="refresh" content="0;url=https://e/">', '<link rel=stylesheet href=https://e/x.css>',
      '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>', '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
      '<a href="java&#x09;script:alert(1)">x</a>', '<a href="&#106;avascript:alert(1)">x</a>', '<a href="data:text/html,<script>1</script>">x</a>', '<a href="vbscript:x">x</a>',
      '<div style="background:url(https://e/)">x</div>', '<td background="https://e/bg.png">x</td>', '<img srcset="https://e/a.png 1x">',
    ];
    for (const c of cases) {
      const out = clean(c).html;
      assert.doesNotMatch(out, /<(script|iframe|object|embed|form|input|button|base|meta|link|svg|math|noscript)\b|\son\w+=|javascript:|vbscript:|data:text|url\(|background=|srcset|(src|href)="https:\/\/e\//i, `${c} → ${out}`);
    }
  });

  it('makes the CSS of a <style> with attributes inert too (it passed through whole before)', () => {
    for (const attrs of [' title="x"', ' media="screen"', ' class="a" TYPE="text/css"', '\tlang=ja']) {
      const out = clean(`<STYLE${attrs}>@import url(https://t.example/a.css); .h{background:url(//t.example/p.gif)} .j{background:\\75rl(https://t.example/e)}</STYLE><p class="h j">本文</p>`).html;
      assert.doesNotMatch(out, /url\(|@import/i, `${attrs}: ${out}`);
      assert.match(out, /^<style>/, `${attrs}: ${out}`);
    }
  });

  it('keeps layout, links to a new window, data: images and resolved cid: images', () => {
    const out = clean('<table cellpadding="2"><tr><td style="color:red">a</td></tr></table><a href="https://shop.example/">s</a><img src="cid:logo@x" alt="l"><img src="data:image/gif;base64,R0lG" alt="g">').html;
    assert.match(out, /<td style="color:red">a<\/td>/);
    assert.match(out, /<a href="https:\/\/shop\.example\/" target="_blank" rel="noopener noreferrer">s<\/a>/);
    assert.match(out, /<img alt="l" src="data:image\/png;base64,QQ==" \/>/);
    assert.match(out, /<img alt="g" src="data:image\/gif;base64,R0lG" \/>/);
  });

  it('counts remote images and keeps them only when asked', () => {
    const html = '<img src="https://t.example/a.gif"><img src="//t.example/b.gif"><img src="http://t.example/c.gif">';
    const blocked = clean(html);
    assert.equal(blocked.blockedImages, 3);
    assert.doesNotMatch(blocked.html, /t\.example/);
    const shown = clean(html, true);
    assert.equal(shown.blockedImages, 0);
    assert.equal((shown.html.match(/src="https?:\/\/t\.example\//g) ?? []).length, 3);
  });

  it('leaves CSS no way to fetch', () => {
    for (const css of ['a{background:url(x)}', 'a{background:URL (x)}', '@import "x";', 'a{background:u\\72l(x)}', 'a{background:image-set("x" 1x)}', 'a{background:-webkit-image-set("x" 1x)}', '@font-face{src:url(x)}', 'a{background:src("x")}']) {
      assert.doesNotMatch(inertCss(css), /url\s*\(|@import|image-set\(|\bsrc\(|\\/i, css);
    }
    const out = clean('<style>p{background:url(https://e/x)}</style><p>x</p>').html;
    assert.equal(out, '<style>p{background:blocked(https://e/x)}</style><p>x</p>');
  });
});
