// Meilisearch's error objects: {message, code, type, link}, with the HTTP status each code carries.
// Table copied from meilisearch-types/src/error.rs (make_error_codes!) at v1.16.0 and v1.50.0, limited to the
// codes this emulator can produce.

export type MeiliErrorType = 'invalid_request' | 'internal' | 'auth' | 'system';

export interface MeiliErrorBody {
  message: string;
  code: string;
  type: MeiliErrorType;
  link: string;
}

const CODES = {
  api_key_already_exists: [409, 'invalid_request'],
  api_key_not_found: [404, 'invalid_request'],
  bad_request: [400, 'invalid_request'],
  batch_not_found: [404, 'invalid_request'],
  document_not_found: [404, 'invalid_request'],
  feature_not_enabled: [400, 'invalid_request'],
  immutable_api_key_actions: [400, 'invalid_request'],
  immutable_api_key_created_at: [400, 'invalid_request'],
  immutable_api_key_expires_at: [400, 'invalid_request'],
  immutable_api_key_indexes: [400, 'invalid_request'],
  immutable_api_key_uid: [400, 'invalid_request'],
  immutable_api_key_updated_at: [400, 'invalid_request'],
  index_already_exists: [409, 'invalid_request'],
  index_not_found: [404, 'invalid_request'],
  index_primary_key_already_exists: [400, 'invalid_request'],
  index_primary_key_multiple_candidates_found: [400, 'invalid_request'],
  index_primary_key_no_candidate_found: [400, 'invalid_request'],
  internal: [500, 'internal'],
  invalid_api_key: [403, 'auth'],
  invalid_api_key_actions: [400, 'invalid_request'],
  invalid_api_key_description: [400, 'invalid_request'],
  invalid_api_key_expires_at: [400, 'invalid_request'],
  invalid_api_key_indexes: [400, 'invalid_request'],
  invalid_api_key_limit: [400, 'invalid_request'],
  invalid_api_key_name: [400, 'invalid_request'],
  invalid_api_key_offset: [400, 'invalid_request'],
  invalid_api_key_uid: [400, 'invalid_request'],
  invalid_batch_uids: [400, 'invalid_request'],
  invalid_content_type: [415, 'invalid_request'],
  invalid_document_csv_delimiter: [400, 'invalid_request'],
  invalid_document_fields: [400, 'invalid_request'],
  invalid_document_filter: [400, 'invalid_request'],
  invalid_document_id: [400, 'invalid_request'],
  invalid_document_ids: [400, 'invalid_request'],
  invalid_document_limit: [400, 'invalid_request'],
  invalid_document_offset: [400, 'invalid_request'],
  invalid_document_retrieve_vectors: [400, 'invalid_request'],
  invalid_document_sort: [400, 'invalid_request'],
  invalid_index_limit: [400, 'invalid_request'],
  invalid_index_offset: [400, 'invalid_request'],
  invalid_index_primary_key: [400, 'invalid_request'],
  invalid_index_uid: [400, 'invalid_request'],
  invalid_search_filter: [400, 'invalid_request'],
  invalid_settings_dictionary: [400, 'invalid_request'],
  invalid_settings_displayed_attributes: [400, 'invalid_request'],
  invalid_settings_distinct_attribute: [400, 'invalid_request'],
  invalid_settings_embedders: [400, 'invalid_request'],
  invalid_settings_foreign_keys: [400, 'invalid_request'],
  invalid_settings_facet_search: [400, 'invalid_request'],
  invalid_settings_faceting: [400, 'invalid_request'],
  invalid_settings_filterable_attributes: [400, 'invalid_request'],
  invalid_settings_index_chat: [400, 'invalid_request'],
  invalid_settings_localized_attributes: [400, 'invalid_request'],
  invalid_settings_non_separator_tokens: [400, 'invalid_request'],
  invalid_settings_pagination: [400, 'invalid_request'],
  invalid_settings_prefix_search: [400, 'invalid_request'],
  invalid_settings_proximity_precision: [400, 'invalid_request'],
  invalid_settings_ranking_rules: [400, 'invalid_request'],
  invalid_settings_search_cutoff_ms: [400, 'invalid_request'],
  invalid_settings_searchable_attributes: [400, 'invalid_request'],
  invalid_settings_separator_tokens: [400, 'invalid_request'],
  invalid_settings_sortable_attributes: [400, 'invalid_request'],
  invalid_settings_stop_words: [400, 'invalid_request'],
  invalid_settings_synonyms: [400, 'invalid_request'],
  invalid_settings_typo_tolerance: [400, 'invalid_request'],
  invalid_swap_duplicate_index_found: [400, 'invalid_request'],
  invalid_swap_indexes: [400, 'invalid_request'],
  invalid_swap_rename: [400, 'invalid_request'],
  invalid_task_after_enqueued_at: [400, 'invalid_request'],
  invalid_task_after_finished_at: [400, 'invalid_request'],
  invalid_task_after_started_at: [400, 'invalid_request'],
  invalid_task_before_enqueued_at: [400, 'invalid_request'],
  invalid_task_before_finished_at: [400, 'invalid_request'],
  invalid_task_before_started_at: [400, 'invalid_request'],
  invalid_task_canceled_by: [400, 'invalid_request'],
  invalid_task_from: [400, 'invalid_request'],
  invalid_task_limit: [400, 'invalid_request'],
  invalid_task_reverse: [400, 'invalid_request'],
  invalid_task_statuses: [400, 'invalid_request'],
  invalid_task_types: [400, 'invalid_request'],
  invalid_task_uids: [400, 'invalid_request'],
  malformed_payload: [400, 'invalid_request'],
  missing_api_key_actions: [400, 'invalid_request'],
  missing_api_key_expires_at: [400, 'invalid_request'],
  missing_api_key_indexes: [400, 'invalid_request'],
  missing_authorization_header: [401, 'auth'],
  missing_content_type: [415, 'invalid_request'],
  missing_document_filter: [400, 'invalid_request'],
  missing_document_id: [400, 'invalid_request'],
  missing_index_uid: [400, 'invalid_request'],
  missing_master_key: [401, 'auth'],
  missing_payload: [400, 'invalid_request'],
  missing_swap_indexes: [400, 'invalid_request'],
  missing_task_filters: [400, 'invalid_request'],
  payload_too_large: [413, 'invalid_request'],
  task_not_found: [404, 'invalid_request'],
  task_file_not_found: [404, 'invalid_request'],
  invalid_webhooks: [400, 'invalid_request'],
  invalid_webhook_url: [400, 'invalid_request'],
  invalid_webhook_headers: [400, 'invalid_request'],
  immutable_webhook: [400, 'invalid_request'],
  invalid_webhook_uuid: [400, 'invalid_request'],
  webhook_not_found: [404, 'invalid_request'],
  immutable_webhook_uuid: [400, 'invalid_request'],
  immutable_webhook_is_editable: [400, 'invalid_request'],
  invalid_network_self: [400, 'invalid_request'],
  invalid_network_remotes: [400, 'invalid_request'],
  invalid_network_shards: [400, 'invalid_request'],
  invalid_network_url: [400, 'invalid_request'],
  missing_network_url: [400, 'invalid_request'],
  requires_enterprise_edition: [451, 'invalid_request'],
  invalid_skip_creation: [400, 'invalid_request'],
  invalid_export_url: [400, 'invalid_request'],
  invalid_export_api_key: [400, 'invalid_request'],
  invalid_export_payload_size: [400, 'invalid_request'],
  invalid_export_indexes_patterns: [400, 'invalid_request'],
  unsupported_media_type: [415, 'invalid_request'],
} as const satisfies Record<string, readonly [number, MeiliErrorType]>;

export type MeiliErrorCode = keyof typeof CODES;

/** Thrown by handlers and task processing; rendered as Meilisearch's error body. */
export class MeiliError extends Error {
  readonly code: MeiliErrorCode;
  readonly status: number;
  readonly type: MeiliErrorType;

  constructor(code: MeiliErrorCode, message: string) {
    super(message);
    this.name = 'MeiliError';
    this.code = code;
    const [status, type] = CODES[code];
    this.status = status;
    this.type = type;
  }

  toBody(): MeiliErrorBody {
    return {
      message: this.message,
      code: this.code,
      type: this.type,
      link: `https://docs.meilisearch.com/errors#${this.code}`,
    };
  }
}

// Messages that several files produce, spelled exactly as the engine does.
export const indexNotFound = (uid: string): MeiliError => new MeiliError('index_not_found', `Index \`${uid}\` not found.`);

export const invalidApiKey = (): MeiliError => new MeiliError('invalid_api_key', 'The provided API key is invalid.');

export function invalidIndexUid(uid: string, code: MeiliErrorCode = 'invalid_index_uid', prefix = ''): MeiliError {
  return new MeiliError(
    code,
    `${prefix}\`${uid}\` is not a valid index uid. Index uid can be an integer or a string containing only alphanumeric characters, hyphens (-) and underscores (_), and can not be more than 512 bytes.`,
  );
}

/** The engine's own rule (index_uid.rs): ASCII alphanumerics, `-`, `_`, 1..=400 bytes. */
export function isValidIndexUid(uid: string): boolean {
  return uid.length > 0 && uid.length <= 400 && /^[A-Za-z0-9_-]+$/.test(uid);
}

export function assertIndexUid(uid: string): string {
  if (!isValidIndexUid(uid)) throw invalidIndexUid(uid);
  return uid;
}
