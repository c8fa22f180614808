/**
 * The commands of the extension: open the panel, ask about, explain or fix
 * the active cell, run a task; in the palette and the launcher.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';

import { ChatModel } from './chat/model';
import { assistantIcon } from './icons';
import { NotebookBridge } from './notebook/bridge';
import { ChatPanel } from './widgets';

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

/**
 * What the commands act on.
 */
export interface ICommandsOptions {
  app: JupyterFrontEnd;
  model: ChatModel;
  panel: ChatPanel;
  notebook: NotebookBridge | undefined;
  notebookTracker: INotebookTracker | null;
  palette: ICommandPalette | null;
  launcher: ILauncher | null;
  trans: TranslationBundle;
}

/**
 * Add the commands, and their palette and launcher items.
 */
export function addCommands(options: ICommandsOptions): void {
  const {
    app,
    model,
    panel,
    notebook,
    notebookTracker,
    palette,
    launcher,
    trans
  } = options;
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
}
