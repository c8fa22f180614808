/**
 * The model picker's routes (`/models`): list, switch, cancel.
 */
import { ServerConnection } from '@jupyterlab/services';

import { IModelList, IModelSwitch, isModelList } from '../protocol';
import { requestJSON } from './rest';

/**
 * List the models offered and switch the server's model.
 */
export class ModelsAPI {
  constructor(readonly serverSettings: ServerConnection.ISettings) {}

  /** The models offered, the current one and the preparation under way. */
  list(): Promise<IModelList> {
    return this._request({ method: 'GET' });
  }

  /** Start switching to `model` (its key); the answer shows the preparation. */
  switch(model: string): Promise<IModelList> {
    const body: IModelSwitch = { model };
    return this._request({ method: 'POST', body: JSON.stringify(body) });
  }

  /** Cancel the preparation under way (the current model stays). */
  cancel(): Promise<IModelList> {
    return this._request({ method: 'DELETE' });
  }

  private async _request(init: RequestInit): Promise<IModelList> {
    const body = await requestJSON(this.serverSettings, 'models', init);
    if (!isModelList(body)) {
      throw new Error('Unexpected answer from the models route');
    }
    return body;
  }
}
