import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { configAsksForRagtune, documentSelector, LANGUAGES } from '../src/documents';

const manifest = JSON.parse(readFileSync('package.json', 'utf8'));

test('ragtune.toml always counts; pyproject.toml only with [tool.ragtune]', () => {
  assert.equal(configAsksForRagtune('/w/ragtune.toml', ''), true);
  assert.equal(configAsksForRagtune('C:\\w\\ragtune.toml', ''), true);
  assert.equal(configAsksForRagtune('/w/pyproject.toml', '[project]\nname = "x"\n\n[tool.ragtune]\nselect = ["FT"]\n'), true);
  assert.equal(configAsksForRagtune('/w/pyproject.toml', '[tool.ragtune.thresholds]\nsystem-prompt-tokens = 3000\n'), true);
  assert.equal(configAsksForRagtune('/w/pyproject.toml', '[tool.ruff]\n# [tool.ragtune] later\n'), false);
  assert.equal(configAsksForRagtune('/w/pyproject.toml', '[tool.ragtuner]\n'), false);
});

test('every language the server is given activates the extension', () => {
  for (const language of LANGUAGES) {
    assert.ok(manifest.activationEvents.includes(`onLanguage:${language}`), language);
  }
});

test('languages the extension adds are declared, with their file extensions', () => {
  const contributed = Object.fromEntries(manifest.contributes.languages.map((l: { id: string; extensions: string[] }) => [l.id, l.extensions]));
  assert.deepEqual(contributed.dotprompt, ['.prompt']);
  assert.deepEqual(contributed.prompty, ['.prompty']);
  assert.deepEqual(contributed.jsonl, ['.jsonl']);
});

test('the selector covers saved and unsaved code, and prompt files by pattern', () => {
  const selector = documentSelector();
  assert.ok(selector.some((f) => 'language' in f && f.language === 'python' && f.scheme === 'untitled'));
  assert.ok(selector.some((f) => 'pattern' in f && f.pattern === '**/*.prompt.md'));
});
