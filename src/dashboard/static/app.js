// The dashboard's entry: asks for an API key when the gateway wants one, learns the key's scope, then shows one
// view at a time (#overview, #engines, #schedules, #catalog, #jobs, #settings, and a backup's own page
// #backup/<id>) beside the live jobs.
import { BackupPage } from './backup-page.js';
import { CatalogView } from './catalog.js';
import { BackupDialog, RestoreDialog } from './dialogs.js';
import { openEngineForm } from './engine-form.js';
import { EnginesView } from './engines.js';
import { guarded, showError } from './errors.js';
import { apiKey, AUTH_CODES, gql, mutationNames } from './graphql.js';
import { JobHistoryView } from './job-history.js';
import { JobsView } from './jobs.js';
import { KeysView } from './keys.js';
import { ProtectionView } from './protection.js';
import { openRetention } from './retention-dialog.js';
import { SchedulesView } from './schedules.js';
import { loadScope } from './scope.js';
import { StoragesView } from './storages.js';
import { WebhooksView } from './webhooks.js';

const $ = (id) => document.getElementById(id);
const VIEWS = ['overview', 'engines', 'schedules', 'catalog', 'jobs', 'settings', 'backup'];

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
    await loadScope();
  } catch (error) {
    showError(error, 'Connect to the gateway');
    return;
  }
  const features = await mutationNames().catch(() => new Set());

  let refreshTimer;
  /** A job ended: counts, protection and the catalog changed; refresh them, once for a burst of endings. */
  const refreshSoon = () => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => {
      void guarded('Refresh the catalog', () => catalog.load());
      void guarded('Refresh engines', () => engines.load());
      void guarded('Refresh protection', () => protection.load());
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
  const protection = new ProtectionView({ banner: $('rpo-banner'), table: $('protection'), charts: $('charts') });
  const afterEngineChange = async () => {
    await Promise.all([guarded('Refresh engines', () => engines.load()), guarded('Refresh protection', () => protection.load())]);
    catalog.setEngines(engines.engines);
    history.setEngines(engines.engines);
  };
  const engines = new EnginesView($('engines'), {
    onBackup: (engine, collections, plugin) => backupDialog.open(engine, collections, plugin),
    onRetention: (engine) => void guarded('Retention', () => openRetention(engine, { onChanged: () => void guarded('Refresh the catalog', () => catalog.load()) })),
    onEdit: (engine) => void guarded('Edit engine', () => openEngineForm({ plugins: [...engines.plugins.values()], engine, onSaved: afterEngineChange })),
    onRemove: async (engine) => {
      if (!window.confirm(`Remove engine "${engine.name}"? Its backups stay in the catalog.`)) return;
      await guarded(`Remove engine ${engine.name}`, async () => {
        await gql('mutation($id: ID!) { removeEngine(id: $id) }', { id: engine.id });
        await afterEngineChange();
      });
    },
  });
  const catalog = new CatalogView($('catalog'), {
    features,
    onJobStarted: onStarted,
    onRestore: (backup) => restoreDialog.open(backup, engines.engines),
    filters: $('catalog-filters'),
    pager: { prev: $('catalog-prev'), next: $('catalog-next'), label: $('catalog-page') },
  });
  const backupPage = new BackupPage($('backup-page'), $('backup-page-title'), catalog);
  const schedules = new SchedulesView($('schedules'), { engines: () => engines.engines, onChanged: () => void guarded('Refresh protection', () => protection.load()) });
  const history = new JobHistoryView($('job-history'), { filters: $('job-filters'), pager: { prev: $('jobs-prev'), next: $('jobs-next'), label: $('jobs-page') } });
  const storages = new StoragesView($('storages'));
  const keys = new KeysView($('keys'));
  const webhooks = new WebhooksView($('webhooks'));

  $('refresh-overview').addEventListener('click', () => void guarded('Refresh protection', () => protection.load()));
  $('refresh-engines').addEventListener('click', () => void guarded('Refresh engines', () => engines.load()));
  $('refresh-catalog').addEventListener('click', () => void guarded('Refresh the catalog', () => catalog.load()));
  $('add-engine').addEventListener('click', () => void guarded('Add engine', () => openEngineForm({ plugins: [...engines.plugins.values()], onSaved: afterEngineChange })));
  $('add-schedule').addEventListener('click', () => schedules.openCreate());
  $('add-storage').addEventListener('click', () => storages.openCreate());
  $('add-key').addEventListener('click', () => keys.openCreate());
  $('add-webhook').addEventListener('click', () => webhooks.openCreate());

  /** Each view loads when first shown and again on every later visit (except the overview, refreshed by jobs). */
  const loaders = {
    overview: () => guarded('Load protection', () => protection.load()),
    engines: () => guarded('Load engines', () => engines.load()),
    schedules: () => guarded('Load schedules', () => schedules.load()),
    catalog: () => guarded('Load the catalog', () => catalog.load()),
    jobs: () => guarded('Load the job history', () => history.load()),
    settings: () => Promise.all([guarded('Load storage', () => storages.load()), guarded('Load keys', () => keys.load()), guarded('Load webhooks', () => webhooks.load())]),
  };
  const show = async () => {
    // "#backup/<id>" is a backup's page; every other hash names a view.
    const [hashName, ...rest] = location.hash.slice(1).split('/');
    const name = VIEWS.includes(hashName) && (hashName !== 'backup' || rest.length > 0) ? hashName : 'overview';
    for (const view of VIEWS) $(`view-${view}`).hidden = view !== name;
    for (const link of document.querySelectorAll('[data-nav]')) {
      if (link.dataset.nav === name) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    document.body.dataset.view = name;
    if (name === 'backup') await guarded('Load the backup', () => backupPage.load(decodeURIComponent(rest.join('/'))));
    else if (name !== 'overview' && name !== 'engines') await loaders[name]();
  };
  window.addEventListener('hashchange', () => void show());

  jobs.startFeed();
  await Promise.all([loaders.engines(), guarded('Load jobs', () => jobs.load()), loaders.overview()]);
  catalog.setEngines(engines.engines);
  history.setEngines(engines.engines);
  await show();
  document.body.dataset.ready = 'true';
}

void start();
