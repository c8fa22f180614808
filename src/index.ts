import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Clipboard,
  Dialog,
  ICommandPalette,
  showDialog
} from '@jupyterlab/apputils';
import { ICompletionProviderManager } from '@jupyterlab/completer';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import {
  ITranslator,
  TranslationBundle,
  nullTranslator
} from '@jupyterlab/translation';
import * as React from 'react';

import { AssistantClient } from './api/client';
import { ConversationsAPI } from './api/conversations';
import { addCommands } from './commands';
import { ChatModel } from './chat/model';
import { AssistantInlineProvider } from './completion/provider';
import { IChatSettings } from './chat/settings';
import { NotebookBridge } from './notebook/bridge';
import { CurrentNotebook } from './notebook/current';
import { ChatPanel } from './widgets';

export * from './api/client';
export * from './api/conversations';
export * from './api/errors';
export * from './api/requests';
export * from './api/streams';
export * from './api/watchdog';
export * from './chat/answers';
export * from './chat/codeblocks';
export * from './chat/context';
export * from './chat/conversation';
export * from './chat/fixes';
export * from './chat/markdown';
export * from './chat/model';
export * from './chat/runner';
export * from './chat/sessions';
export * from './chat/settings';
export * from './chat/status';
export * from './chat/store';
export * from './chat/tasks';
export * from './chat/transcript';
export * from './completion/input';
export * from './completion/provider';
export * from './loop/diff';
export * from './loop/fix';
export * from './loop/fixrounds';
export * from './loop/rounds';
export * from './loop/session';
export * from './loop/targets';
export * from './loop/task';
export * from './notebook/bridge';
export * from './notebook/cells';
export * from './notebook/celltarget';
export * from './notebook/context';
export * from './notebook/current';
export * from './notebook/errors';
export * from './notebook/fixbutton';
export * from './notebook/kernel';
export * from './notebook/outputs';
export * from './notebook/taskcells';
export * from './notebook/types';
export * from './notebook/variables';
export * from './protocol';
export { ChatPanel } from './widgets';
export { CommandIDs } from './commands';

const PLUGIN_ID = 'opencodeinterpreter-lab:plugin';

/**
 * The side panel where the user chats with the local model.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'A local, offline code assistant (llama.cpp) in the right sidebar.',
  autoStart: true,
  requires: [IRenderMimeRegistry],
  optional: [
    ICommandPalette,
    ILauncher,
    ILayoutRestorer,
    ISettingRegistry,
    ITranslator,
    INotebookTracker,
    ICompletionProviderManager
  ],
  activate: (
    app: JupyterFrontEnd,
    rendermime: IRenderMimeRegistry,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null,
    notebookTracker: INotebookTracker | null,
    completionManager: ICompletionProviderManager | null
  ): void => {
    const trans = (translator ?? nullTranslator).load(
      'opencodeinterpreter_lab'
    );
    const client = new AssistantClient({
      serverSettings: app.serviceManager.serverSettings
    });
    // Ghost text in code cells and Python files (JupyterLab's inline completer).
    completionManager?.registerInlineProvider(
      new AssistantInlineProvider(client, trans)
    );
    const notebook = notebookTracker
      ? new NotebookBridge({
          tracker: notebookTracker,
          translator: translator ?? undefined,
          activate: widget => {
            if (widget.id) {
              app.shell.activateById(widget.id);
            }
          }
        })
      : undefined;
    const model = new ChatModel({
      client,
      notebook,
      confirmRun: code => confirmRun(code, trans),
      copyToClipboard: text => Clipboard.copyToSystem(text),
      // Each notebook's conversation, kept server-side in the user's data.
      ...(notebookTracker
        ? {
            conversations: new ConversationsAPI(
              app.serviceManager.serverSettings
            ),
            currentNotebook: new CurrentNotebook(notebookTracker)
          }
        : {})
    });
    // What changed in the last second is saved as the page goes.
    window.addEventListener('pagehide', () => {
      void model.saveConversation({ keepalive: true });
    });
    const panel = new ChatPanel({
      model,
      rendermime,
      translator: translator ?? undefined
    });
    app.shell.add(panel, 'right', { rank: 900 });
    restorer?.add(panel, ChatPanel.ID);

    addCommands({
      app,
      model,
      panel,
      notebook,
      notebookTracker,
      palette,
      launcher,
      trans
    });

    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          const apply = (): void => {
            model.configure(
              settings.composite as unknown as Partial<IChatSettings>
            );
          };
          apply();
          settings.changed.connect(apply);
        })
        .catch(reason => {
          console.error(
            'OpenCodeInterpreter: could not load the settings',
            reason
          );
        });
    }
  }
};

/**
 * Ask the user whether code from an answer may run in their kernel.
 */
async function confirmRun(
  code: string,
  trans: TranslationBundle
): Promise<boolean> {
  const result = await showDialog({
    title: trans.__('Run this code in the notebook’s kernel?'),
    body: React.createElement(
      'div',
      { className: 'jp-oci-confirm-run' },
      React.createElement(
        'p',
        null,
        trans.__(
          'The code goes into a new cell below the active cell and runs in the live kernel, with access to its variables and your files.'
        )
      ),
      React.createElement('pre', { className: 'jp-oci-confirm-code' }, code)
    ),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.okButton({ label: trans.__('Run') })
    ],
    defaultButton: 1
  });
  return result.button.accept;
}

export default plugin;
