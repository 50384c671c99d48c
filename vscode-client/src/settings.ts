// The extension's settings and the configuration the server is given for them.
// No `vscode` import: this module is unit-tested under plain node.

/** Settings whose change needs a new server process; every other setting is pulled live. */
export const LAUNCH_SETTINGS = ['ragtune.path', 'ragtune.interpreter'] as const;

/**
 * Rule settings, by their name under `ragtune.` in VS Code. The server reads them from
 * `workspace/configuration` (section `ragtune`) under the same camelCase names, nested
 * the way VS Code nests dotted names (`thresholds.systemPromptTokens` arrives as
 * `{thresholds: {systemPromptTokens: ...}}`); its configuration module maps them onto
 * the kebab-case keys of `[tool.ragtune]`.
 */
export const RULE_SETTINGS = [
  'select',
  'ignore',
  'defaultModel',
  'requestsPerDay',
  'thresholds.systemPromptTokens',
  'thresholds.fewShotExamples',
  'thresholds.fewShotTokens',
  'thresholds.knowledgeShare',
  'thresholds.classifierLabels',
] as const;

export type RuleSetting = (typeof RULE_SETTINGS)[number];

/** The part of `WorkspaceConfiguration.inspect()` that says where a value was set. */
export interface Inspected {
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

export type Inspect = (setting: RuleSetting) => Inspected | undefined;

/** The value the user set for a setting, most specific scope first; undefined when unset. */
export function explicitValue(inspected: Inspected | undefined): unknown {
  if (inspected === undefined) {
    return undefined;
  }
  for (const value of [inspected.workspaceFolderValue, inspected.workspaceValue, inspected.globalValue]) {
    if (value !== undefined) {
      return value;
    }
  }
  return undefined;
}

/**
 * The object answered for section `ragtune`. Only settings the user set are sent:
 * a default sent from here would override the project's `[tool.ragtune]`, and client
 * settings are meant to override file settings only where the user chose a value.
 * A `null` (as `requestsPerDay` may be) counts as unset.
 */
export function serverConfiguration(inspect: Inspect): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const setting of RULE_SETTINGS) {
    const value = explicitValue(inspect(setting));
    if (value === undefined || value === null) {
      continue;
    }
    const path = setting.split('.');
    let node = config;
    for (const key of path.slice(0, -1)) {
      node = (node[key] ??= {}) as Record<string, unknown>;
    }
    node[path[path.length - 1]] = value;
  }
  return config;
}

/** Whether a configuration change (as `affectsConfiguration` reports it) needs a restart. */
export function affectsLaunch(affectsConfiguration: (section: string) => boolean): boolean {
  return LAUNCH_SETTINGS.some((setting) => affectsConfiguration(setting));
}
