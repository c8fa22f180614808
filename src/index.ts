import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { AssistantClient } from './client';
import { assistantIcon } from './icons';
import { ChatModel, IChatSettings } from './model';
import { ChatPanel } from './widgets';

export * from './client';
export * from './model';
export * from './protocol';
export { ChatPanel } from './widgets';

/**
 * The command ids of the extension.
 */
export namespace CommandIDs {
  export const open = 'opencodeinterpreter:open';
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
    ITranslator
  ],
  activate: (
    app: JupyterFrontEnd,
    rendermime: IRenderMimeRegistry,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load(
      'opencodeinterpreter_lab'
    );
    const client = new AssistantClient({
      serverSettings: app.serviceManager.serverSettings
    });
    const model = new ChatModel({ client });
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
        if (!panel.isAttached) {
          app.shell.add(panel, 'right', { rank: 900 });
        }
        app.shell.activateById(panel.id);
      }
    });
    palette?.addItem({
      command: CommandIDs.open,
      category: trans.__('OpenCodeInterpreter')
    });
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

export default plugin;
