// What this tab's key may do. Write controls carry data-needs="OPERATOR" or "ADMIN"; app.css hides them when the
// key's scope (body[data-scope]) ranks lower, so a VIEWER sees no button it could not use — also in content
// rendered later.
import { gql } from './graphql.js';

const RANK = { VIEWER: 0, OPERATOR: 1, ADMIN: 2 };

export const caller = { scope: 'VIEWER', actor: '' };

export async function loadScope() {
  const data = await gql('{ gatewayInfo { actor scope } }');
  caller.scope = data.gatewayInfo.scope;
  caller.actor = data.gatewayInfo.actor;
  document.body.dataset.scope = caller.scope;
  const chip = document.getElementById('scope');
  chip.textContent = caller.scope.toLowerCase();
  chip.dataset.testid = 'scope';
}

export function can(needed) {
  return RANK[caller.scope] >= RANK[needed];
}
