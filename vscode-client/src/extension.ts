// Entry point: wires settings, commands, the status bar and the server together.

import * as vscode from 'vscode';
import { CONFIG_FILE_GLOB, configAsksForRagtune, documentSelector } from './documents';
import { onInterpreterChange } from './python';
import { RagtuneServer } from './server';
import { affectsLaunch } from './settings';
import { largestPromptTokens, statusView, type ServerState } from './status';

let server: RagtuneServer | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const channel = vscode.window.createOutputChannel('ragtune', { log: true });
  const statusItem = vscode.window.createStatusBarItem('ragtune.status', vscode.StatusBarAlignment.Right, 100);
  statusItem.name = 'ragtune';
  statusItem.command = 'ragtune.showOutput';
  context.subscriptions.push(channel, statusItem);

  let state: ServerState = 'idle';
  let stateDetail: string | undefined;
  let tokens: number | undefined;
  const render = (): void => {
    const view = statusView(state, tokens, stateDetail);
    statusItem.text = view.text;
    statusItem.tooltip = view.tooltip;
    statusItem.backgroundColor =
      view.level === 'normal' ? undefined : new vscode.ThemeColor(view.level === 'error' ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground');
    statusItem.show();
  };

  const ragtune = new RagtuneServer(channel, {
    onState(next, detail) {
      state = next;
      stateDetail = detail;
      void vscode.commands.executeCommand('setContext', 'ragtune.reportAvailable', next === 'running' && ragtune.reportCommand() !== undefined);
      render();
      scheduleTokens();
    },
  });
  server = ragtune;
  context.subscriptions.push(ragtune);

  // Tokens of the active file's largest prompt, refreshed after the server has analysed it.
  let tokensTimer: NodeJS.Timeout | undefined;
  let tokensRequest = 0;
  function scheduleTokens(): void {
    clearTimeout(tokensTimer);
    tokensTimer = setTimeout(() => void refreshTokens(), 250);
  }
  async function refreshTokens(): Promise<void> {
    const request = ++tokensRequest;
    const editor = vscode.window.activeTextEditor;
    let next: number | undefined;
    if (editor !== undefined && ragtune.isRunning && vscode.languages.match(selector, editor.document) > 0) {
      try {
        next = largestPromptTokens(await ragtune.codeLenses(editor.document.uri));
      } catch (error) {
        channel.debug(`Code lenses for the status bar: ${String(error)}`);
      }
    }
    if (request === tokensRequest) {
      tokens = next;
      render();
    }
  }

  const selector = documentSelector();
  context.subscriptions.push(
    vscode.commands.registerCommand('ragtune.restart', () => ragtune.restart()),
    vscode.commands.registerCommand('ragtune.showOutput', () => channel.show()),
    vscode.commands.registerCommand('ragtune.showReport', () => showReport(ragtune)),
    vscode.window.onDidChangeActiveTextEditor(scheduleTokens),
    vscode.languages.onDidChangeDiagnostics((event) => {
      const active = vscode.window.activeTextEditor?.document.uri.toString();
      if (active !== undefined && event.uris.some((uri) => uri.toString() === active)) {
        scheduleTokens();
      }
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (affectsLaunch((section) => event.affectsConfiguration(section))) {
        channel.info('A launch setting changed; restarting the server.');
        void ragtune.restart();
      } else if (event.affectsConfiguration('ragtune')) {
        ragtune.notifyConfigurationChanged();
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void ragtune.restart()),
    { dispose: () => clearTimeout(tokensTimer) },
  );
  const interpreterListener = await onInterpreterChange(() => {
    const config = vscode.workspace.getConfiguration('ragtune');
    // Only matters when no ragtune setting chooses the program.
    if (!config.get<string>('path') && !config.get<string>('interpreter')) {
      channel.info('The Python extension selected another interpreter; restarting the server.');
      void ragtune.restart();
    }
  });
  if (interpreterListener !== undefined) {
    context.subscriptions.push(interpreterListener);
  }

  render();
  // Start now when a file ragtune reads is open or the workspace is configured for it;
  // otherwise (activated by a stray pyproject.toml) wait for such a file to be opened.
  const wanted = vscode.workspace.textDocuments.some((document) => vscode.languages.match(selector, document) > 0);
  if (wanted || (await workspaceAsksForRagtune())) {
    await ragtune.start();
    return;
  }
  const waiting = vscode.workspace.onDidOpenTextDocument((document) => {
    if (vscode.languages.match(selector, document) > 0) {
      waiting.dispose();
      void ragtune.start();
    }
  });
  context.subscriptions.push(waiting);
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}

async function workspaceAsksForRagtune(): Promise<boolean> {
  const files = await vscode.workspace.findFiles(CONFIG_FILE_GLOB, '**/{node_modules,.venv,.git}/**', 50);
  for (const uri of files) {
    try {
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      if (configAsksForRagtune(uri.path, text)) {
        return true;
      }
    } catch {
      // An unreadable config file is the server's to report (RT002), not a reason to stay off.
      return true;
    }
  }
  return false;
}

async function showReport(ragtune: RagtuneServer): Promise<void> {
  const result = await ragtune.runReport();
  if (result === undefined || result === null) {
    void vscode.window.showInformationMessage('The ragtune server has no workspace report yet.');
    return;
  }
  const markdown =
    typeof result === 'string'
      ? result
      : typeof (result as { markdown?: unknown }).markdown === 'string'
        ? (result as { markdown: string }).markdown
        : '```json\n' + JSON.stringify(result, null, 2) + '\n```\n';
  const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: markdown });
  await vscode.commands.executeCommand('markdown.showPreview', document.uri);
}
