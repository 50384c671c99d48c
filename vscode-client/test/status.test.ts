import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTokens, largestPromptTokens, lensTokens, statusView } from '../src/status';

test('tokens are shown with thousands separators', () => {
  assert.equal(formatTokens(5012), '5,012 tokens/request');
  assert.equal(formatTokens(12), '12 tokens/request');
});

test('running with a prompt: state icon and the largest prompt', () => {
  const view = statusView('running', 6240);
  assert.equal(view.text, '$(pulse) ragtune: 6,240 tokens/request');
  assert.match(view.tooltip, /running/);
  assert.match(view.tooltip, /Largest prompt in this file: 6,240 tokens\/request/);
  assert.equal(view.level, 'normal');
});

test('no prompt in the file, or not running: the state alone', () => {
  assert.equal(statusView('running', undefined).text, '$(pulse) ragtune');
  assert.equal(statusView('starting', 6240).text, '$(sync~spin) ragtune');
  assert.equal(statusView('failed', undefined, 'boom').level, 'error');
  assert.match(statusView('failed', undefined, 'boom').tooltip, /boom/);
  assert.equal(statusView('not-installed', undefined).level, 'warning');
});

test('lens tokens: structured figures first, then the title', () => {
  assert.equal(lensTokens({ data: { tokens: 5100 } }), 5100);
  assert.equal(lensTokens({ command: { title: 'x', arguments: [{ tokens: 4200, cost: 1 }] } }), 4200);
  assert.equal(lensTokens({ command: { title: '≈ 6,240 tokens/request · $15.60 per 1k · behaviour 70 %' } }), 6240);
  assert.equal(lensTokens({ command: { title: 'Run tests' } }), undefined);
  assert.equal(lensTokens({}), undefined);
});

test('largest prompt across call sites; none when no lens states a size', () => {
  assert.equal(
    largestPromptTokens([
      { command: { title: '≈ 120 tokens/request' } },
      { command: { title: '≈ 5,012 tokens/request · $12.53 per 1k' } },
      { command: { title: 'something else' } },
    ]),
    5012,
  );
  assert.equal(largestPromptTokens([]), undefined);
});
