/**
 * The stock-client calls the tests of this folder cover, by file: `rucio` (the new command tree), its legacy
 * commands, `rucio-admin`, and methods of the Python `rucio.client.Client`. coverage.spec.ts counts them; each
 * e2e spec checks that every call of its list ran and behaved as planned.
 */
export const RULE_CALLS = [
  'rucio rule add --comment --lifetime',
  'rucio add-rule (legacy)',
  'Client.list_replication_rules(account=*, scope=*)',
  'Client.list_replication_rules(scope=user.*, state=)',
  'rucio rule show',
  'rucio rule-info (legacy)',
  'rucio rule list --did --traverse',
  'rucio list-rules --traverse (legacy)',
  'Client.get_dataset_locks / get_dataset_locks_by_rse / get_locks_for_dids',
  'rucio rule update --stuck --cancel-requests',
  'rucio rule update --boost-rule (not an administrator)',
  'rucio rule update --boost-rule',
  'rucio update-rule --child-rule-id (legacy)',
  'rucio update-rule --lifetime --priority (legacy)',
  'rucio update-rule --child-rule-id None (legacy)',
  'rucio rule remove',
  'rucio rule history',
  'rucio list-rules-history (legacy)',
  'Client.list_replication_rule_full_history',
] as const;
