// The error panel: every failed call shows its code (extensions.code), type and message, newest first.
import { h } from './dom.js';

const MAX_SHOWN = 6;

export function showError(error, context) {
  const panel = document.getElementById('errors');
  const code = error?.code ?? 'internal';
  const card = h(
    'div',
    { class: 'error-card', role: 'alert', dataset: { testid: 'error', code } },
    h('span', { class: 'code' }, code),
    h('span', { class: 'context' }, [context, error?.type].filter(Boolean).join(' · ')),
    h('p', { class: 'message' }, error?.message ?? String(error)),
    h('button', { type: 'button', 'aria-label': 'Dismiss', title: 'Dismiss', onclick: () => card.remove() }, '×'),
  );
  panel.prepend(card);
  while (panel.children.length > MAX_SHOWN) panel.lastElementChild.remove();
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
