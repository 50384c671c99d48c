// Drives a running code-server with ragtune installed, in headless chromium, the way a
// user would: open a file, read the squiggle, the Problems entry and the hover, apply the
// quick fix from the keyboard, save. Screenshots each step; prints one JSON result.
//
//   node e2e/driver.mjs '{"url": ..., "file": ..., "code": "FT201", "fix": "FT201", "screenshots": ..., "chromium": ...}'
//
// VS Code's DOM classes used here are internal but stable from 1.100 to 1.139
// (../shared/EDITOR-TESTING.md). The quick-fix menu cannot be clicked (an overlay takes
// the pointer), so it is driven with the arrow keys.

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';

const options = JSON.parse(process.argv[2]);
const timeout = options.timeoutMs ?? 60_000;
const result = { steps: [], screenshots: [] };
const original = readFileSync(options.file, 'utf8');

function step(name, data = {}) {
  result.steps.push({ name, ms: Date.now() - started, ...data });
}

async function shot(page, name) {
  const file = path.join(options.screenshots, `${String(result.screenshots.length + 1).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file });
  result.screenshots.push(file);
}

async function waitFor(check, what) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Go to Next Problem (F8) from the editor, then Escape: the cursor sits on the problem, in view. */
async function revealProblem(page) {
  await page.keyboard.press('F8');
  await page.locator('.marker-widget').waitFor();
  await page.keyboard.press('Escape');
  await page.locator('.marker-widget').waitFor({ state: 'hidden' });
}

const started = Date.now();
const browser = await chromium.launch({
  executablePath: options.chromium ?? '/usr/bin/chromium',
  headless: true,
  // The machine has no network: background fetches only produce refused connections.
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
let page;
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(timeout);
  await page.goto(`${options.url}/?folder=${encodeURIComponent(path.dirname(options.file))}`);
  await page.locator('.monaco-workbench').waitFor();
  step('workbench');

  // Open the file through Quick Open, as a user would.
  await page.locator('.monaco-workbench').click({ position: { x: 700, y: 450 } });
  await page.keyboard.press('Control+P');
  await page.locator('.quick-input-widget input').waitFor();
  await page.keyboard.type(path.basename(options.file));
  await page.locator('.quick-input-list .monaco-list-row').first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.monaco-editor .view-lines').first().waitFor();
  step('file open');

  if (options.scenario === 'not-installed') {
    await checkNotInstalledNotice(page);
  } else {
    await checkDiagnosticHoverAndFix(page);
  }
  result.ok = true;
} catch (error) {
  result.ok = false;
  result.error = String(error?.stack ?? error);
  if (page) {
    await shot(page, 'failure').catch(() => undefined);
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(result) + '\n');

/** ragtune missing from the interpreter: a notification with the install command and a button. */
async function checkNotInstalledNotice(page) {
  const toast = page.locator('.notification-toast.notification-fade-in-done', { hasText: 'is not installed' });
  await toast.first().waitFor();
  result.notification = await toast.first().innerText();
  result.buttons = await toast.first().locator('.monaco-button').allInnerTexts();
  step('notification', { notification: result.notification, buttons: result.buttons });
  await shot(page, 'not-installed');
}

/** FT201: squiggle, Problems entry, status bar, hover, quick fix by keyboard, saved file. */
async function checkDiagnosticHoverAndFix(page) {
  // The squiggle: ragtune's diagnostic, reached with Go to Next Problem (F8) as a user
  // would in a long file; Escape closes the peek and leaves the cursor on it.
  await waitFor(async () => /[1-9]/.test(await page.locator('#status\\.problems').innerText().catch(() => '')), 'a problem in the status bar');
  await revealProblem(page);
  const squiggle = page.locator('.monaco-editor .squiggly-warning, .monaco-editor .squiggly-error').first();
  await squiggle.waitFor({ timeout });
  step('squiggle');
  await shot(page, 'squiggle');

  // The Problems panel entry with the code and the token count.
  await page.keyboard.press('Control+Shift+M');
  const problem = page.locator('.markers-panel .monaco-list-row', { hasText: options.code });
  await problem.first().waitFor();
  result.problems = await page.locator('.markers-panel .monaco-list-row').allInnerTexts();
  step('problems', { problems: result.problems });
  await shot(page, 'problems');

  // The status bar item: server state and the file's largest prompt.
  result.statusBar = await waitFor(async () => {
    const texts = await page.locator('.statusbar-item').allInnerTexts();
    return texts.find((text) => /ragtune: [\d,]+ tokens\/request/.test(text));
  }, 'the ragtune status bar item with tokens');
  step('status bar', { statusBar: result.statusBar });

  // The hover over the squiggle shows the figures. Back to the editor first, so the
  // Problems panel keeps its place but the editor has the mouse.
  await page.keyboard.press('Control+1');
  await revealProblem(page);
  // boundingBox() does not wait: right after the editor regains focus, Monaco may be
  // re-rendering its decorations and the squiggle has no box for a moment
  const box = await waitFor(() => squiggle.boundingBox(), 'the squiggle laid out in the editor');
  await page.mouse.move(box.x + Math.min(box.width / 2, 40), box.y + box.height / 2);
  const hover = page.locator('.monaco-hover:not(.hidden)', { hasText: options.code });
  await hover.first().waitFor();
  result.hover = await hover.first().innerText();
  step('hover', { hover: result.hover });
  await shot(page, 'hover');
  // The README shows this one: diagnostic, hover and Problems entry together.
  if (options.readmeScreenshot) {
    await page.screenshot({ path: options.readmeScreenshot });
  }

  // Quick fix from the lightbulb, by keyboard: F8 puts the cursor on the diagnostic,
  // Ctrl+. opens the actions, arrows pick the wanted one, Enter applies it.
  await page.mouse.move(5, 5);
  await page.keyboard.press('Escape');
  await revealProblem(page);
  await page.keyboard.press('Control+.');
  const rows = page.locator('.action-widget .monaco-list-row');
  await rows.first().waitFor();
  result.quickFixes = await page.locator('.action-widget .monaco-list-row:not(.group-header)').allInnerTexts();
  step('quick fixes', { quickFixes: result.quickFixes });
  await shot(page, 'quick-fixes');
  const wanted = new RegExp(options.fix);
  await waitFor(async () => {
    const focused = page.locator('.action-widget .monaco-list-row.focused');
    if ((await focused.count()) > 0 && wanted.test(await focused.first().innerText())) {
      return true;
    }
    await page.keyboard.press('ArrowDown');
    return false;
  }, `a quick fix matching ${options.fix}`);
  result.appliedFix = await page.locator('.action-widget .monaco-list-row.focused').first().innerText();
  await page.keyboard.press('Enter');
  step('fix applied', { appliedFix: result.appliedFix });

  // Save, and wait for the file on disk to change.
  await page.keyboard.press('Control+S');
  result.fileAfter = await waitFor(() => {
    const text = readFileSync(options.file, 'utf8');
    return text !== original ? text : undefined;
  }, 'the file on disk to change');
  step('saved');
  // The diagnostic the fix answered goes away.
  await waitFor(async () => (await page.locator('.markers-panel .monaco-list-row', { hasText: options.code }).count()) === 0, `${options.code} to leave Problems`);
  step('diagnostic gone');
  await shot(page, 'after-fix');
}
