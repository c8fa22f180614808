/**
 * Small pieces the views of the panel share.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

/**
 * The three dots shown while an answer has no text yet.
 */
export function Typing(props: { trans: TranslationBundle }): JSX.Element {
  return (
    <div className="jp-oci-typing" aria-label={props.trans.__('Generating')}>
      <span />
      <span />
      <span />
    </div>
  );
}
