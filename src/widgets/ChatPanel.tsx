import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { assistantIcon } from '../icons';
import { ModelsAPI } from '../api/models';
import { ChatModel } from '../chat/model';
import { ModelPickerModel } from '../chat/picker';
import { ChatView } from './ChatView';

/**
 * The side panel. The first time it is shown it starts the model: the
 * WebSocket opens and the server is asked to load the model, so loading runs
 * while the user types the first question.
 */
export class ChatPanel extends ReactWidget {
  constructor(options: ChatPanel.IOptions) {
    super();
    this.model = options.model;
    this.picker = new ModelPickerModel(
      new ModelsAPI(options.model.client.serverSettings)
    );
    this._rendermime = options.rendermime;
    const translator = options.translator ?? nullTranslator;
    this._trans = translator.load('opencodeinterpreter_lab');
    this.id = ChatPanel.ID;
    this.addClass('jp-oci-panel');
    this.title.icon = assistantIcon;
    this.title.caption = this._trans.__('OpenCodeInterpreter assistant');
  }

  /**
   * The conversation the panel shows.
   */
  readonly model: ChatModel;

  /**
   * The model picker opened from the header.
   */
  readonly picker: ModelPickerModel;

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.picker.dispose();
    this.model.dispose();
    super.dispose();
  }

  /**
   * Put the keyboard focus in the message box.
   */
  focusInput(): void {
    this.node.querySelector<HTMLTextAreaElement>('.jp-oci-input')?.focus();
  }

  protected render(): JSX.Element {
    return (
      <ChatView
        model={this.model}
        rendermime={this._rendermime}
        trans={this._trans}
        picker={this.picker}
      />
    );
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this.isVisible) {
      this.model.start();
    }
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.model.start();
    if (!this.picker.loaded) {
      void this.picker.refresh(); // learns whether the administrator allows it
    }
    this.focusInput();
  }

  private _rendermime: IRenderMimeRegistry;
  private _trans: ReturnType<ITranslator['load']>;
}

export namespace ChatPanel {
  /**
   * The DOM id of the panel.
   */
  export const ID = 'opencodeinterpreter-panel';

  export interface IOptions {
    model: ChatModel;
    rendermime: IRenderMimeRegistry;
    translator?: ITranslator;
  }
}
