// The error panel: every failed call shows its code (extensions.code), type and message, newest first. While a
// dialog is open the card goes inside it (a modal's backdrop would hide the page's panel); a long raw message
// folds to its first line.
import { h } from './dom.js';

const MAX_SHOWN = 6;
const FOLD_AT = 160;

function messageOf(text) {
  if (text.length <= FOLD_AT) return h('p', { class: 'message' }, text);
  return h('details', { class: 'message' }, h('summary', null, `${text.slice(0, FOLD_AT)}…`), h('p', { class: 'mono' }, text));
}

export function showError(error, context) {
  const dialog = [...document.querySelectorAll('dialog[open]')].at(-1);
  const panel = dialog?.querySelector('.dialog-errors') ?? document.getElementById('errors');
  const code = error?.code ?? 'internal';
  const card = h(
    'div',
    { class: 'error-card', role: 'alert', dataset: { testid: 'error', code } },
    h('span', { class: 'code' }, code),
    h('span', { class: 'context' }, [context, error?.type].filter(Boolean).join(' · ')),
    messageOf(String(error?.message ?? error)),
    h('button', { type: 'button', 'aria-label': 'Dismiss', title: 'Dismiss', onclick: () => card.remove() }, '×'),
  );
  panel.prepend(card);
  while (panel.children.length > MAX_SHOWN) panel.lastElementChild.remove();
}

/** Clears the errors shown inside a dialog (when it opens again). */
export function clearDialogErrors(dialog) {
  dialog.querySelector('.dialog-errors')?.replaceChildren();
}

/** Runs an action; a failure goes to the panel instead of being lost. Returns undefined on failure. */
export async function guarded(context, action) {
  try {
    return await action();
  } catch (error) {
    showError(error, context);
    return undefined;
  }
}
