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
import { ChatModel } from './chat/model';
import { IChatSettings } from './chat/settings';
import { assistantIcon } from './icons';
import { NotebookBridge } from './notebook/bridge';
import { ChatPanel } from './widgets';

export * from './api/client';
export * from './api/errors';
export * from './api/requests';
export * from './api/streams';
export * from './api/watchdog';
export * from './chat/codeblocks';
export * from './chat/context';
export * from './chat/conversation';
export * from './chat/fixes';
export * from './chat/model';
export * from './chat/runner';
export * from './chat/sessions';
export * from './chat/settings';
export * from './chat/status';
export * from './chat/tasks';
export * from './chat/transcript';
export * from './loop/diff';
export * from './loop/fix';
export * from './loop/rounds';
export * from './loop/session';
export * from './loop/targets';
export * from './loop/task';
export * from './notebook/bridge';
export * from './notebook/cells';
export * from './notebook/celltarget';
export * from './notebook/context';
export * from './notebook/errors';
export * from './notebook/fixbutton';
export * from './notebook/kernel';
export * from './notebook/outputs';
export * from './notebook/taskcells';
export * from './notebook/types';
export * from './notebook/variables';
export * from './protocol';
export { ChatPanel } from './widgets';

/**
 * The command ids of the extension.
 */
export namespace CommandIDs {
  export const open = 'opencodeinterpreter:open';
  export const askAboutCell = 'opencodeinterpreter:ask-about-cell';
  export const explainCell = 'opencodeinterpreter:explain-cell';
  export const fixCell = 'opencodeinterpreter:fix-cell';
  export const runTask = 'opencodeinterpreter:run-task';
}

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
    INotebookTracker
  ],
  activate: (
    app: JupyterFrontEnd,
    rendermime: IRenderMimeRegistry,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null,
    notebookTracker: INotebookTracker | null
  ): void => {
    const trans = (translator ?? nullTranslator).load(
      'opencodeinterpreter_lab'
    );
    const client = new AssistantClient({
      serverSettings: app.serviceManager.serverSettings
    });
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
      copyToClipboard: text => Clipboard.copyToSystem(text)
    });
    const panel = new ChatPanel({
      model,
      rendermime,
      translator: translator ?? undefined
    });
    app.shell.add(panel, 'right', { rank: 900 });
    restorer?.add(panel, ChatPanel.ID);

    app.commands.addCommand(CommandIDs.open, {
      label: trans.__('Open OpenCodeInterpreter Assistant'),
      caption: trans.__('Chat with the local code model'),
      icon: args => (args.isPalette ? undefined : assistantIcon),
      describedBy: {
        args: { type: 'object', properties: {} }
      },
      execute: () => {
        showPanel();
      }
    });
    const showPanel = (): void => {
      if (!panel.isAttached) {
        app.shell.add(panel, 'right', { rank: 900 });
      }
      app.shell.activateById(panel.id);
    };
    const hasCell = (): boolean =>
      !!notebookTracker?.currentWidget && !!notebookTracker.activeCell;

    app.commands.addCommand(CommandIDs.askAboutCell, {
      label: trans.__('Ask the Assistant about This Cell'),
      caption: trans.__(
        'Open the assistant with the active cell as the context of the next message'
      ),
      icon: args => (args.isPalette ? undefined : assistantIcon),
      describedBy: { args: { type: 'object', properties: {} } },
      isEnabled: hasCell,
      execute: () => {
        showPanel();
        model.context.askAboutCell();
        panel.focusInput();
      }
    });
    app.commands.addCommand(CommandIDs.explainCell, {
      label: trans.__('Explain This Cell with the Assistant'),
      caption: trans.__('Ask the assistant to explain the active cell'),
      icon: args => (args.isPalette ? undefined : assistantIcon),
      describedBy: { args: { type: 'object', properties: {} } },
      isEnabled: () => hasCell() && !model.busy,
      execute: () => {
        showPanel();
        model.explainCell();
      }
    });
    app.commands.addCommand(CommandIDs.fixCell, {
      label: trans.__('Fix This Cell with the Assistant'),
      caption: trans.__(
        'Ask the assistant to fix the error of the active cell, and re-run it until it passes'
      ),
      icon: args => (args.isPalette ? undefined : assistantIcon),
      describedBy: { args: { type: 'object', properties: {} } },
      isEnabled: hasCell,
      execute: () => {
        showPanel();
        model.fixes.fixActiveCell();
      }
    });
    app.commands.addCommand(CommandIDs.runTask, {
      label: trans.__('Run a Task in the Notebook with the Assistant'),
      caption: trans.__(
        'The assistant writes cells in the current notebook, runs them and reads their outputs until it can answer; with `text`, runs that message, else opens the panel in task mode'
      ),
      icon: args => (args.isPalette ? undefined : assistantIcon),
      describedBy: {
        args: {
          type: 'object',
          properties: {
            text: {
              type: 'string',
              description: 'The task; without it the panel opens in task mode'
            }
          }
        }
      },
      isEnabled: () => !!notebookTracker?.currentWidget && !model.busy,
      execute: args => {
        showPanel();
        const text = typeof args.text === 'string' ? args.text : '';
        if (text.trim()) {
          return model.sendTask(text);
        }
        model.setTaskMode(true);
        panel.focusInput();
        return true;
      }
    });
    // The Fix button of a cell opens the panel (automatic fixes do not
    // take the focus from the notebook).
    notebook?.fixRequested.connect((_, args) => {
      if (!args.auto) {
        showPanel();
      }
    });
    notebookTracker?.activeCellChanged.connect(() => {
      app.commands.notifyCommandChanged(CommandIDs.askAboutCell);
      app.commands.notifyCommandChanged(CommandIDs.explainCell);
      app.commands.notifyCommandChanged(CommandIDs.fixCell);
      app.commands.notifyCommandChanged(CommandIDs.runTask);
    });

    for (const command of [
      CommandIDs.open,
      CommandIDs.askAboutCell,
      CommandIDs.explainCell,
      CommandIDs.fixCell,
      CommandIDs.runTask
    ]) {
      palette?.addItem({
        command,
        category: trans.__('OpenCodeInterpreter')
      });
    }
    launcher?.add({ command: CommandIDs.open, category: trans.__('Other') });

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
