// The running `ragtune server`: start, stop, restart, and what to tell the user when
// it cannot start.

import * as os from 'node:os';
import * as vscode from 'vscode';
import {
  CloseAction,
  CodeLensRequest,
  CodeLensResolveRequest,
  DidChangeConfigurationNotification,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClient,
  RevealOutputChannelOn,
  State,
  TransportKind,
  type CodeLens,
  type Executable,
  type LanguageClientOptions,
} from 'vscode-languageclient/node';
import { documentSelector } from './documents';
import { installCommand, probe, resolveLaunch, type LaunchPlan, type ProbeResult } from './launch';
import { activeInterpreter } from './python';
import { serverConfiguration, type RuleSetting } from './settings';
import type { ServerState } from './status';

export interface ServerEvents {
  onState(state: ServerState, detail?: string): void;
}

/** Server commands that produce the workspace report, in the order they are looked for. */
const REPORT_COMMANDS = ['ragtune.workspaceReport', 'ragtune.showReport', 'ragtune.report'];

/** Leaves the explaining of a failed start to explainStartFailure: one clear notice, not the library's generic one. */
class RagtuneLanguageClient extends LanguageClient {
  constructor(
    private readonly started: { value: boolean },
    serverOptions: ConstructorParameters<typeof LanguageClient>[2],
    clientOptions: LanguageClientOptions,
  ) {
    super('ragtune', 'ragtune', serverOptions, clientOptions);
  }

  override error(message: string, data?: unknown, showNotification: boolean | 'force' = 'force'): void {
    super.error(message, data, this.started.value ? showNotification : false);
  }
}

export class RagtuneServer implements vscode.Disposable {
  private client: LanguageClient | undefined;
  // Starts and stops run one at a time: a settings change during a start must not leave two servers.
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly channel: vscode.LogOutputChannel,
    private readonly events: ServerEvents,
  ) {}

  start(): Promise<void> {
    return this.enqueue(() => this.doStart());
  }

  restart(): Promise<void> {
    return this.enqueue(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  stop(): Promise<void> {
    return this.enqueue(() => this.doStop());
  }

  get isRunning(): boolean {
    return this.client?.state === State.Running;
  }

  /** Rule settings changed: ask the server to pull them again (no restart). */
  notifyConfigurationChanged(): void {
    const client = this.client;
    if (client === undefined || client.state !== State.Running) {
      return;
    }
    // Sent from here for every server; the library's own copy is dropped in the middleware.
    void client.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
  }

  /** The server's command for the workspace report, when it offers one. */
  reportCommand(): string | undefined {
    const offered = this.client?.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
    return REPORT_COMMANDS.find((command) => offered.includes(command));
  }

  async runReport(): Promise<unknown> {
    const command = this.reportCommand();
    if (this.client === undefined || command === undefined) {
      return undefined;
    }
    return this.client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [] });
  }

  /** The server's code lenses for a document (resolved when the server resolves lazily). */
  async codeLenses(uri: vscode.Uri): Promise<CodeLens[]> {
    const client = this.client;
    const provider = client?.initializeResult?.capabilities.codeLensProvider;
    if (client === undefined || client.state !== State.Running || !provider) {
      return [];
    }
    const lenses = (await client.sendRequest(CodeLensRequest.type, { textDocument: { uri: uri.toString() } })) ?? [];
    if (!provider.resolveProvider) {
      return lenses;
    }
    return Promise.all(lenses.map((lens) => (lens.command ? lens : client.sendRequest(CodeLensResolveRequest.type, lens))));
  }

  dispose(): void {
    void this.stop();
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(step, step);
    return this.queue;
  }

  private async doStart(): Promise<void> {
    if (this.client !== undefined) {
      return;
    }
    const folder = vscode.workspace.workspaceFolders?.[0];
    const config = vscode.workspace.getConfiguration('ragtune', folder);
    const trusted = vscode.workspace.isTrusted;
    const plan = resolveLaunch({
      // In an untrusted folder only user settings may choose the program (see package.json).
      path: (trusted ? config.get<string>('path') : config.inspect<string>('path')?.globalValue) ?? '',
      interpreter: (trusted ? config.get<string>('interpreter') : config.inspect<string>('interpreter')?.globalValue) ?? '',
      pythonExtensionInterpreter: await activeInterpreter(folder?.uri, this.channel),
      workspaceFolder: folder?.uri.fsPath,
      home: os.homedir(),
      platform: process.platform,
    });
    this.channel.info(`Starting: ${plan.command} ${plan.args.join(' ')} --stdio (from ${plan.source})`);
    this.events.onState('starting');

    const executable: Executable = {
      command: plan.command,
      args: plan.args,
      transport: TransportKind.stdio,
      options: { cwd: folder?.uri.fsPath, env: { ...process.env, PYTHONUNBUFFERED: '1' } },
    };
    const started = { value: false };
    const client = new RagtuneLanguageClient(started, { run: executable, debug: executable }, this.clientOptions(started));
    this.client = client;
    client.onDidChangeState(({ newState }) => {
      if (newState === State.Running) {
        started.value = true;
        this.events.onState('running');
      } else if (newState === State.Stopped && this.client === client) {
        this.events.onState('stopped');
      }
    });
    // start() can resolve without a server when the process exits during `initialize`
    // (the library drops its own start promise then), so the state is what tells.
    const failure = await client.start().then(
      () => undefined,
      (error: unknown) => error,
    );
    if (client.state !== State.Running) {
      this.client = undefined;
      this.channel.error(`The server did not start${failure === undefined ? '' : `: ${String(failure)}`}`);
      const result = await probe(plan, folder?.uri.fsPath);
      this.channel.info(`Probe of ${plan.command}: ${JSON.stringify(result)}`);
      // Not awaited: a notice left open must not hold up the next start or restart.
      void this.explainStartFailure(plan, result, folder?.uri.fsPath);
    }
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client === undefined) {
      return;
    }
    try {
      await client.dispose(5000);
    } catch (error) {
      this.channel.warn(`The server did not stop cleanly: ${String(error)}`);
    }
    this.events.onState('stopped');
  }

  /** `started` turns true once the server has answered `initialize`. */
  private clientOptions(started: { value: boolean }): LanguageClientOptions {
    let crashes = 0;
    return {
      documentSelector: documentSelector(),
      outputChannel: this.channel,
      traceOutputChannel: this.channel,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      // A failed start is explained once by explainStartFailure, not by the library's retries.
      initializationFailedHandler: () => false,
      errorHandler: {
        error: () => ({ action: started.value ? ErrorAction.Continue : ErrorAction.Shutdown, handled: true }),
        closed: () => {
          if (!started.value) {
            return { action: CloseAction.DoNotRestart, handled: true };
          }
          crashes += 1;
          if (crashes <= 3) {
            this.channel.warn(`The server exited; restarting it (${crashes} of 3).`);
            return { action: CloseAction.Restart, handled: true };
          }
          this.events.onState('failed', 'The server exited four times; fix the cause and run "ragtune: Restart Server".');
          return { action: CloseAction.DoNotRestart, message: 'The ragtune server keeps exiting; see the ragtune output.' };
        },
      },
      middleware: {
        workspace: {
          // The library sends this only to servers that registered for it, with settings
          // in VS Code's shape; notifyConfigurationChanged sends it to all, to pull again.
          didChangeConfiguration: async () => undefined,
          // Answer section `ragtune` with the rule settings the user set, as the server expects them.
          configuration: async (params, token, next) => {
            const answers = await next(params, token);
            if (!Array.isArray(answers)) {
              return answers;
            }
            return params.items.map((item, index) => {
              if (item.section !== 'ragtune') {
                return answers[index];
              }
              const scope = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined;
              const config = vscode.workspace.getConfiguration('ragtune', scope);
              return serverConfiguration((setting: RuleSetting) => config.inspect(setting));
            });
          },
        },
      },
      markdown: { isTrusted: false, supportHtml: false },
    };
  }

  /** Why the server did not start, in words the user can act on. */
  private async explainStartFailure(plan: LaunchPlan, result: ProbeResult, cwd: string | undefined): Promise<void> {
    const openSettings = 'Open Settings';
    const showOutput = 'Show Output';
    if (result.kind === 'not-installed') {
      const python = plan.python ?? plan.command;
      const command = installCommand(python, process.platform);
      this.events.onState('not-installed', `Install it with: ${command}`);
      const install = 'Install in Terminal';
      const choice = await vscode.window.showWarningMessage(
        `ragtune is not installed in the Python interpreter ${python} (from ${plan.source}). Install it with: ${command}`,
        install,
        openSettings,
      );
      if (choice === install) {
        const terminal = vscode.window.createTerminal({ name: 'Install ragtune', cwd });
        terminal.show();
        terminal.sendText(command);
        const restart = 'Restart Server';
        if ((await vscode.window.showInformationMessage('When the install has finished, restart the ragtune server.', restart)) === restart) {
          await vscode.commands.executeCommand('ragtune.restart');
        }
      } else if (choice === openSettings) {
        await vscode.commands.executeCommand('workbench.action.openSettings', 'ragtune.interpreter');
      }
      return;
    }
    if (result.kind === 'no-program') {
      const what = plan.source === 'ragtune.path' ? `The ragtune executable ${plan.command} (ragtune.path)` : `The Python interpreter ${plan.command} (from ${plan.source})`;
      this.events.onState('failed', `${what} was not found.`);
      const choice = await vscode.window.showErrorMessage(`${what} was not found. Set ragtune.interpreter or ragtune.path.`, openSettings);
      if (choice === openSettings) {
        await vscode.commands.executeCommand('workbench.action.openSettings', 'ragtune');
      }
      return;
    }
    const detail = result.kind === 'failed' ? result.detail : `ragtune ${result.version} is installed, but its server did not start.`;
    this.events.onState('failed', detail);
    const choice = await vscode.window.showErrorMessage(`The ragtune server did not start: ${detail}`, showOutput);
    if (choice === showOutput) {
      this.channel.show();
    }
  }
}
