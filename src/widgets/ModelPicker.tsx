/**
 * The model picker: the models the server offers with their size, presence
 * and measured speed; choosing one switches the server's model, with the
 * preparation's progress and a Cancel button. Logic lives in
 * chat/picker.ts.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import {
  ModelPickerModel,
  describePreparation,
  formatBytes,
  formatSpeed
} from '../chat/picker';

export interface IModelPickerProps {
  picker: ModelPickerModel;
  trans: TranslationBundle;
}

export function ModelPicker(props: IModelPickerProps): JSX.Element {
  const { picker } = props;
  return (
    <UseSignal signal={picker.changed}>
      {() => (picker.isOpen ? <PickerBody {...props} /> : null)}
    </UseSignal>
  );
}

function PickerBody(props: IModelPickerProps): JSX.Element {
  const { picker, trans } = props;
  const preparing = picker.preparing;
  return (
    <div
      className="jp-oci-picker"
      role="dialog"
      aria-label={trans.__('Choose the model')}
    >
      {!picker.loaded && picker.error === null && (
        <div className="jp-oci-picker-loading">{trans.__('Loading…')}</div>
      )}
      {preparing && <Preparation {...props} />}
      {picker.error !== null && (
        <div className="jp-oci-picker-error" role="alert">
          {picker.error}
        </div>
      )}
      <ul className="jp-oci-picker-list" role="listbox">
        {picker.models.map(option => {
          const current = option.key === picker.current;
          return (
            <li
              key={option.key}
              role="option"
              aria-selected={current}
              className="jp-oci-picker-option"
              data-key={option.key}
              data-current={current ? 'true' : 'false'}
            >
              <button
                type="button"
                className="jp-oci-picker-choose"
                title={option.description}
                disabled={current || preparing !== null}
                onClick={() => void picker.choose(option.key)}
              >
                <span className="jp-oci-picker-name">{option.name}</span>
                <span className="jp-oci-picker-size">
                  {formatBytes(option.size)}
                </span>
                <span
                  className="jp-oci-picker-presence"
                  data-present={option.present ? 'true' : 'false'}
                >
                  {option.detail}
                </span>
                <span
                  className="jp-oci-picker-speed"
                  title={trans.__('Decode speed last measured on this machine')}
                >
                  {formatSpeed(option.tokens_per_second)}
                </span>
                {current && (
                  <span className="jp-oci-picker-current">
                    {trans.__('current')}
                  </span>
                )}
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

function Preparation(props: IModelPickerProps): JSX.Element | null {
  const { picker, trans } = props;
  const preparing = picker.preparing;
  if (!preparing) {
    return null;
  }
  const { text, percent } = describePreparation(preparing);
  return (
    <div className="jp-oci-picker-preparing" data-state={preparing.state}>
      <div className="jp-oci-picker-preparing-text">
        {trans.__('Switching to %1: %2', preparing.name, text)}
      </div>
      <div
        className="jp-oci-progress"
        role="progressbar"
        aria-label={trans.__('Model preparation progress')}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent ?? undefined}
        data-indeterminate={percent === null ? 'true' : 'false'}
      >
        <div
          className="jp-oci-progress-bar"
          style={percent === null ? undefined : { width: `${percent}%` }}
        />
      </div>
      <button
        type="button"
        className="jp-Button jp-mod-minimal jp-oci-picker-cancel"
        onClick={() => void picker.cancel()}
      >
        {trans.__('Cancel')}
      </button>
    </div>
  );
}

/**
 * The model's name in the panel's header: a button that opens the picker,
 * plain text when the administrator turned the picker off.
 */
export function ModelPickerButton(
  props: IModelPickerProps & { name: string; title: string | undefined }
): JSX.Element {
  const { picker, trans, name, title } = props;
  return (
    <UseSignal signal={picker.changed}>
      {() =>
        picker.available ? (
          <button
            type="button"
            className="jp-oci-model-button"
            aria-label={trans.__('Choose the model (now %1)', name)}
            aria-haspopup="dialog"
            aria-expanded={picker.isOpen}
            onClick={() => picker.toggle()}
          >
            <span className="jp-oci-status-model" title={title}>
              {name}
            </span>
            <span className="jp-oci-model-caret" aria-hidden="true">
              ▾
            </span>
          </button>
        ) : (
          <span className="jp-oci-status-model" title={title}>
            {name}
          </span>
        )
      }
    </UseSignal>
  );
}
