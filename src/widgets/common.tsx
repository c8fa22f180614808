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

/**
 * Props of {@link LoopHeader}.
 */
export interface ILoopHeaderProps {
  /** The prefix of the class names: `jp-oci-fix`, `jp-oci-task`. */
  prefix: string;
  /** Where the loop stands, in words. */
  headline: string;
  /** Whether the loop runs (Stop is then shown). */
  active: boolean;
  /** The accessible name and the tooltip of Stop. */
  stopLabel: string;
  stopTitle: string;
  onStop: () => void;
  trans: TranslationBundle;
}

/**
 * The first line of a fix or a task: its headline, and Stop while it runs.
 */
export function LoopHeader(props: ILoopHeaderProps): JSX.Element {
  const { prefix, trans } = props;
  return (
    <div className={`${prefix}-header`}>
      <span className={`${prefix}-title`}>{props.headline}</span>
      {props.active && (
        <button
          type="button"
          className={`jp-Button jp-mod-minimal ${prefix}-stop`}
          aria-label={props.stopLabel}
          title={props.stopTitle}
          onClick={props.onStop}
        >
          {trans.__('Stop')}
        </button>
      )}
    </div>
  );
}

/**
 * Props of {@link LoopRound}.
 */
export interface ILoopRoundProps {
  /** The class of the round: `jp-oci-fix-round`, `jp-oci-task-step`. */
  className: string;
  round: number;
  /** More attributes of the round's element (`data-…`). */
  attributes: Record<string, string>;
  /** The round's text so far, drawn by `renderText` when not empty. */
  text: string;
  renderText: (text: string) => JSX.Element;
  /** Whether the round's answer is being generated (dots while empty). */
  streaming: boolean;
  /** What follows the text (diff, run, cell). */
  children?: React.ReactNode;
  trans: TranslationBundle;
}

/**
 * One round of a fix or a task: its title, its text (or the dots while the
 * answer starts), then what the round did.
 */
export function LoopRound(props: ILoopRoundProps): JSX.Element {
  const { className, trans } = props;
  return (
    <div className={className} data-round={props.round} {...props.attributes}>
      <div className={`${className}-title`}>
        {trans.__('Round %1', props.round)}
      </div>
      {props.text !== ''
        ? props.renderText(props.text)
        : props.streaming && <Typing trans={trans} />}
      {props.children}
    </div>
  );
}
