// One <dialog> shared by the management forms (engine, schedule, storage, key, webhook): a title, fields, and
// buttons. Errors of its calls show inside it (errors.js), and it stays open until an action says it is done.
import { clear, h } from './dom.js';
import { clearDialogErrors, guarded } from './errors.js';

const $ = (id) => document.getElementById(id);

/**
 * Opens the dialog. `actions`: [{ label, testid, kind ('primary' | 'secondary' | 'danger'), run(form) }]; a run
 * returning true closes the dialog. Returns the form element, so callers can read and rewrite fields.
 */
export function openForm({ title, testid, body, actions }) {
  const dialog = $('form-dialog');
  const form = $('form-dialog-form');
  $('form-title').textContent = title;
  form.dataset.testid = testid ?? '';
  clearDialogErrors(dialog);
  clear($('form-body'), body);
  const buttons = actions.map((action) =>
    h(
      'button',
      {
        type: 'button',
        class: action.kind === 'primary' ? null : action.kind ?? 'secondary',
        dataset: action.testid ? { testid: action.testid } : undefined,
        onclick: async (event) => {
          const button = event.currentTarget;
          button.disabled = true;
          const done = await guarded(`${title}: ${action.label}`, () => action.run(form));
          button.disabled = false;
          if (done === true) dialog.close();
        },
      },
      action.label,
    ),
  );
  clear($('form-actions'), h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, 'Close'), buttons);
  form.onsubmit = (event) => event.preventDefault();
  // The dialog is shared: the previous form's live previews must not follow this one's typing.
  form.oninput = null;
  form.onchange = null;
  if (!dialog.open) dialog.showModal();
  return form;
}

/** A labelled input; `name` is how the form reads it back. */
export function field(label, props) {
  return h('label', null, label, h(props.tag ?? 'input', { ...props, tag: undefined }));
}

export function closeForm() {
  $('form-dialog').close();
}

/** The detail dialog (backup, job): a title and read-only content. */
export function openDetail(title, body, testid) {
  const dialog = $('detail-dialog');
  $('detail-title').textContent = title;
  dialog.dataset.testid = testid ?? '';
  clearDialogErrors(dialog);
  clear($('detail-body'), body);
  if (!dialog.open) dialog.showModal();
  return $('detail-body');
}
