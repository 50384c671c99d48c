import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { affectsLaunch, explicitValue, LAUNCH_SETTINGS, RULE_SETTINGS, serverConfiguration, type Inspected, type RuleSetting } from '../src/settings';

const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
const properties: Record<string, { default: unknown; scope: string }> = manifest.contributes.configuration.properties;

function inspector(values: Partial<Record<RuleSetting, Inspected>>) {
  return (setting: RuleSetting) => values[setting];
}

test('nothing set by the user sends nothing, so [tool.ragtune] in the project applies', () => {
  assert.deepEqual(serverConfiguration(inspector({})), {});
  assert.deepEqual(serverConfiguration(inspector({ select: { globalValue: undefined } })), {});
});

test('set values are sent under VS Code names, dotted names nested', () => {
  const config = serverConfiguration(
    inspector({
      select: { globalValue: ['FT', 'RAG1'] },
      defaultModel: { workspaceValue: 'gpt-4o-mini' },
      'thresholds.systemPromptTokens': { workspaceFolderValue: 3000 },
      'thresholds.knowledgeShare': { globalValue: 0.5 },
    }),
  );
  assert.deepEqual(config, {
    select: ['FT', 'RAG1'],
    defaultModel: 'gpt-4o-mini',
    thresholds: { systemPromptTokens: 3000, knowledgeShare: 0.5 },
  });
});

test('the most specific scope wins: folder over workspace over user', () => {
  assert.equal(explicitValue({ globalValue: 1, workspaceValue: 2, workspaceFolderValue: 3 }), 3);
  assert.equal(explicitValue({ globalValue: 1, workspaceValue: 2 }), 2);
  assert.equal(explicitValue({ globalValue: 1 }), 1);
  assert.equal(explicitValue(undefined), undefined);
});

test('a null requestsPerDay (the default) is not sent; a number is', () => {
  assert.deepEqual(serverConfiguration(inspector({ requestsPerDay: { globalValue: null } })), {});
  assert.deepEqual(serverConfiguration(inspector({ requestsPerDay: { globalValue: 20000 } })), { requestsPerDay: 20000 });
});

test('an empty list set by the user is sent: it means "ignore nothing", not "unset"', () => {
  assert.deepEqual(serverConfiguration(inspector({ ignore: { workspaceValue: [] } })), { ignore: [] });
});

test('only launch settings restart the server', () => {
  assert.equal(affectsLaunch((s) => s === 'ragtune.interpreter'), true);
  assert.equal(affectsLaunch((s) => s === 'ragtune.path'), true);
  assert.equal(affectsLaunch((s) => s === 'ragtune' || s === 'ragtune.thresholds.systemPromptTokens'), false);
  assert.equal(affectsLaunch(() => false), false);
});

test('package.json declares every setting the code knows, and no other', () => {
  const declared = Object.keys(properties).sort();
  const known = [...RULE_SETTINGS.map((s) => `ragtune.${s}`), ...LAUNCH_SETTINGS, 'ragtune.trace.server'].sort();
  assert.deepEqual(declared, known);
});

test("defaults in package.json are the server's defaults", () => {
  const defaults = Object.fromEntries(Object.entries(properties).map(([key, spec]) => [key, spec.default]));
  assert.deepEqual(defaults['ragtune.select'], ['ALL']);
  assert.deepEqual(defaults['ragtune.ignore'], []);
  assert.equal(defaults['ragtune.defaultModel'], 'gpt-4o');
  assert.equal(defaults['ragtune.requestsPerDay'], null);
  assert.equal(defaults['ragtune.thresholds.systemPromptTokens'], 4000);
  assert.equal(defaults['ragtune.thresholds.fewShotExamples'], 20);
  assert.equal(defaults['ragtune.thresholds.fewShotTokens'], 3000);
  assert.equal(defaults['ragtune.thresholds.knowledgeShare'], 0.6);
  assert.equal(defaults['ragtune.thresholds.classifierLabels'], 15);
});

test('scopes: rule settings per folder, launch settings per machine, trace per window', () => {
  for (const setting of RULE_SETTINGS) {
    assert.equal(properties[`ragtune.${setting}`].scope, 'resource', setting);
  }
  for (const setting of LAUNCH_SETTINGS) {
    assert.equal(properties[setting].scope, 'machine-overridable', setting);
  }
  assert.equal(properties['ragtune.trace.server'].scope, 'window');
  assert.deepEqual(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations, [...LAUNCH_SETTINGS]);
});
