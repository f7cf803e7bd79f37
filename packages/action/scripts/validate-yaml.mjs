#!/usr/bin/env node
// Validates action.yml and the workflow files with @action-validator (the schema store's schemas).
// Usage: node scripts/validate-yaml.mjs action.yml ../../.github/workflows/*.yml
//
// action-validator 0.6.0 embeds a schema that predates `runs.using: node24` (it only knows node12/16/20), so
// action.yml is validated with `using: node24` read as `node20`, and `node24` itself is checked here. Both read
// and rewrite runs.using with a YAML parser (the test kit's), so quoting or a comment cannot fool them.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { validateAction, validateWorkflow } from '@action-validator/core';
import { parseActionYml, setInYml } from '@catalog-crawl/test-kit';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: validate-yaml.mjs <action.yml|workflow.yml>...');
  process.exit(2);
}
let failed = false;
for (const file of files) {
  let source = readFileSync(file, 'utf8');
  const isAction = /^action\.ya?ml$/.test(basename(file));
  if (isAction) {
    const using = parseActionYml(source).runs['using'];
    if (using !== 'node24') {
      console.error(`${file}: runs.using is ${using ?? 'missing'}, expected node24`);
      failed = true;
    }
    source = setInYml(source, ['runs', 'using'], 'node20');
  }
  const state = isAction ? validateAction(source) : validateWorkflow(source);
  if (state.errors.length > 0) {
    console.error(`${file}: invalid ${state.actionType}`);
    console.error(JSON.stringify(state.errors, null, 2));
    failed = true;
  } else {
    console.log(`${file}: valid ${state.actionType}`);
  }
}
process.exit(failed ? 1 : 0);
