// Form fields for the admin pages: a label, the control, an optional hint and the field's error right next
// to it (in the page's language, tied to the control by aria-describedby). Values are whatever the user
// typed, escaped by html``; nothing here decides whether a value is valid.
import { boolAttr, html, type SafeHtml } from '../html.js';
import type { View } from '../layout.js';
import { hiddenCsrf } from '../layout.js';
import { fieldMessage, type FieldError } from './common.js';

interface Base {
  name: string;
  label: string;
  error?: FieldError;
  hint?: string;
  disabled?: boolean;
  /** The field is fixed elsewhere (the TOML file): shown, not editable, with this note. */
  readOnlyNote?: string;
}

function after(v: View, o: Base): SafeHtml {
  return html`${o.hint ? html`<span class="hint" id="${o.name}-hint">${o.hint}</span>` : ''}${o.readOnlyNote ? html`<span class="readonly-note">${o.readOnlyNote}</span>` : ''}${
    o.error ? html`<span class="field-error" id="${o.name}-error" role="alert" data-field="${o.name}" data-code="${o.error.code}">${fieldMessage(v.t, o.error)}</span>` : ''
  }`;
}

const describedBy = (o: Base): string => [o.hint ? `${o.name}-hint` : '', o.error ? `${o.name}-error` : ''].filter(Boolean).join(' ');

export function input(
  v: View,
  o: Base & { value?: string | number; type?: 'text' | 'email' | 'password' | 'number' | 'search'; required?: boolean; maxlength?: number; autocomplete?: string; step?: string; placeholder?: string },
): SafeHtml {
  const ro = !!o.readOnlyNote || !!o.disabled;
  return html`<p class="field${o.error ? ' has-error' : ''}"><label for="f-${o.name}">${o.label}</label>
    <input id="f-${o.name}" name="${o.name}" type="${o.type ?? 'text'}" value="${o.value === undefined ? '' : String(o.value)}" maxlength="${String(o.maxlength ?? 500)}"${boolAttr('required', !!o.required)}${boolAttr('readonly', ro)} autocomplete="${o.autocomplete ?? 'off'}" step="${o.step ?? 'any'}" placeholder="${o.placeholder ?? ''}" aria-invalid="${o.error ? 'true' : 'false'}" aria-describedby="${describedBy(o)}">
    ${after(v, o)}</p>`;
}

export function textarea(v: View, o: Base & { value: string; rows?: number; maxlength?: number }): SafeHtml {
  const ro = !!o.readOnlyNote || !!o.disabled;
  return html`<p class="field${o.error ? ' has-error' : ''}"><label for="f-${o.name}">${o.label}</label>
    <textarea id="f-${o.name}" name="${o.name}" rows="${String(o.rows ?? 4)}" maxlength="${String(o.maxlength ?? 100_000)}"${boolAttr('readonly', ro)} aria-invalid="${o.error ? 'true' : 'false'}" aria-describedby="${describedBy(o)}">${o.value}</textarea>
    ${after(v, o)}</p>`;
}

export function checkbox(v: View, o: Base & { checked: boolean }): SafeHtml {
  const ro = !!o.readOnlyNote || !!o.disabled;
  // a read-only checkbox cannot be "readonly" in HTML: disabled, so it is not sent (the server ignores it anyway)
  return html`<p class="field check${o.error ? ' has-error' : ''}"><input id="f-${o.name}" name="${o.name}" type="checkbox" value="on"${boolAttr('checked', o.checked)}${boolAttr('disabled', ro)} aria-describedby="${describedBy(o)}">
    <label for="f-${o.name}">${o.label}</label>${after(v, o)}</p>`;
}

export function select(v: View, o: Base & { value: string; options: { value: string; label: string }[] }): SafeHtml {
  const ro = !!o.readOnlyNote || !!o.disabled;
  return html`<p class="field${o.error ? ' has-error' : ''}"><label for="f-${o.name}">${o.label}</label>
    <select id="f-${o.name}" name="${o.name}"${boolAttr('disabled', ro)} aria-invalid="${o.error ? 'true' : 'false'}" aria-describedby="${describedBy(o)}">
      ${o.options.map((x) => html`<option value="${x.value}"${boolAttr('selected', x.value === o.value)}>${x.label}</option>`)}
    </select>${after(v, o)}</p>`;
}

/** A form posting to `action` with the session's CSRF token. */
export function form(v: View, action: string, body: SafeHtml, o: { submit: string; cls?: string; confirm?: string } ): SafeHtml {
  return html`<form method="post" action="${action}" class="${o.cls ?? 'admin-form'}" data-confirm="${o.confirm ?? ''}">${hiddenCsrf(v)}${body}
    <p class="actions"><button type="submit" class="primary">${o.submit}</button></p></form>`;
}

/** A one-button form (delete, hold, retry…), with an optional confirmation question for web.js. */
export function buttonForm(v: View, action: string, label: string, o: { confirm?: string; cls?: string; name?: string; value?: string } = {}): SafeHtml {
  return html`<form method="post" action="${action}" class="inline ${o.cls ?? ''}" data-confirm="${o.confirm ?? ''}">${hiddenCsrf(v)}${
    o.name ? html`<input type="hidden" name="${o.name}" value="${o.value ?? ''}">` : ''
  }<button type="submit">${label}</button></form>`;
}

/** A notice at the top of a page after a change (?done=…), from the catalogue. */
export function notice(text: string | null): SafeHtml {
  return text ? html`<p class="notice" role="status">${text}</p>` : html``;
}

/** The summary of a refused form: how many fields need attention, at the top, pointing at the first. */
export function errorSummary(v: View, errors: FieldError[] | undefined): SafeHtml {
  if (!errors?.length) return html``;
  return html`<div class="error-summary" role="alert"><p>${v.t('form.errors', { count: errors.length })}</p>
    <ul>${errors.map((e) => html`<li><a href="#f-${e.field}">${fieldMessage(v.t, e)}</a></li>`)}</ul></div>`;
}
