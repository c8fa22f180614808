/**
 * The props every view of the panel shares (the panel's model, renderers and
 * translations), apart from the views so that they need not import each other.
 */
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { TranslationBundle } from '@jupyterlab/translation';

import type { ChatModel } from '../chat/model';
import type { ModelPickerModel } from '../chat/picker';

/**
 * Props shared by the views of the panel.
 */
export interface IChatViewProps {
  model: ChatModel;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
  /** The model picker; without it the model's name is plain text. */
  picker?: ModelPickerModel;
}
