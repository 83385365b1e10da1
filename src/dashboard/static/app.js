// The dashboard's entry: asks for an API key when the gateway wants one, then loads engines, jobs and the
// catalog and follows every job live.
import { CatalogView } from './catalog.js';
import { BackupDialog, RestoreDialog } from './dialogs.js';
import { EnginesView } from './engines.js';
import { guarded, showError } from './errors.js';
import { apiKey, AUTH_CODES, gql, mutationNames } from './graphql.js';
import { JobsView } from './jobs.js';

const $ = (id) => document.getElementById(id);

/** Resolves once the gateway accepts this tab's key (or needs none). */
async function authenticate() {
  const dialog = $('key-dialog');
  const problem = $('key-problem');
  for (;;) {
    try {
      await gql('{ plugins { name } }');
      $('sign-out').hidden = !apiKey.get();
      return;
    } catch (error) {
      if (!AUTH_CODES.has(error.code)) throw error;
      if (apiKey.get()) {
        problem.hidden = false;
        problem.textContent = `[${error.code}] ${error.message}`;
      }
      apiKey.clear();
    }
    const key = await new Promise((resolve) => {
      const form = $('key-form');
      const onSubmit = (event) => {
        event.preventDefault();
        const value = $('api-key').value.trim();
        if (!value) return;
        form.removeEventListener('submit', onSubmit);
        dialog.close();
        resolve(value);
      };
      form.addEventListener('submit', onSubmit);
      dialog.addEventListener('cancel', (event) => event.preventDefault());
      if (!dialog.open) dialog.showModal();
      $('api-key').focus();
    });
    apiKey.set(key);
    $('api-key').value = '';
  }
}

async function start() {
  $('sign-out').addEventListener('click', () => {
    apiKey.clear();
    location.reload();
  });
  try {
    await authenticate();
  } catch (error) {
    showError(error, 'Connect to the gateway');
    return;
  }
  const features = await mutationNames().catch(() => new Set());

  let refreshTimer;
  /** A job ended: counts and the catalog changed; refresh both, once for a burst of endings. */
  const refreshSoon = () => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => {
      void guarded('Refresh the catalog', () => catalog.load());
      void guarded('Refresh engines', () => engines.load());
    }, 300);
  };

  const jobs = new JobsView($('jobs'), $('feed-status'), { onJobEnded: refreshSoon });
  const onStarted = (job) => {
    jobs.upsert(job);
    // A backup shows in the catalog (PENDING) at once; counts change only when the job ends.
    void guarded('Refresh the catalog', () => catalog.load());
  };
  const backupDialog = new BackupDialog({ onStarted });
  const restoreDialog = new RestoreDialog({ onStarted, features });
  const engines = new EnginesView($('engines'), { onBackup: (engine, collections, plugin) => backupDialog.open(engine, collections, plugin) });
  const catalog = new CatalogView($('catalog'), {
    features,
    onJobStarted: onStarted,
    onRestore: (backup) => restoreDialog.open(backup, engines.engines),
  });

  $('refresh-engines').addEventListener('click', () => void guarded('Refresh engines', () => engines.load()));
  $('refresh-catalog').addEventListener('click', () => void guarded('Refresh the catalog', () => catalog.load()));

  jobs.startFeed();
  await Promise.all([
    guarded('Load engines', () => engines.load()),
    guarded('Load jobs', () => jobs.load()),
    guarded('Load the catalog', () => catalog.load()),
  ]);
  document.body.dataset.ready = 'true';
}

void start();
