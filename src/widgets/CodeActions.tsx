import { TranslationBundle } from '@jupyterlab/translation';
import {
  LabIcon,
  addBelowIcon,
  checkIcon,
  copyIcon,
  editIcon,
  runIcon
} from '@jupyterlab/ui-components';
import * as React from 'react';

import type { ICodeBlock } from '../chat/codeblocks';
import type { CodeRunner } from '../chat/runner';

/**
 * Where the toolbar of a code block goes: a host element placed right after
 * the block's rendered `pre`.
 */
export interface IToolbarAnchor {
  readonly host: HTMLElement;
  readonly block: ICodeBlock;
}

const HOST_CLASS = 'jp-oci-code-toolbar-host';

/**
 * Place a toolbar host after each rendered `pre` that shows one of `blocks`.
 *
 * The blocks come from the markdown source; a `pre` is matched to the next
 * block whose code it shows (its text, whitespace at the ends ignored), so a
 * `pre` of an indented code block, which has no fence, gets no toolbar.
 * Returns the anchors and the blocks no `pre` showed.
 */
export function placeToolbars(
  node: HTMLElement,
  blocks: ReadonlyArray<ICodeBlock>
): { anchors: IToolbarAnchor[]; unplaced: ICodeBlock[] } {
  node.querySelectorAll(`.${HOST_CLASS}`).forEach(host => host.remove());
  const anchors: IToolbarAnchor[] = [];
  const pres = Array.from(node.querySelectorAll('pre'));
  let next = 0;
  for (const pre of pres) {
    if (next >= blocks.length) {
      break;
    }
    const shown = normalize(pre.textContent ?? '');
    const found = blocks
      .slice(next)
      .findIndex(block => normalize(block.code) === shown);
    if (found === -1) {
      continue;
    }
    const block = blocks[next + found];
    next += found + 1;
    const host = document.createElement('div');
    host.className = HOST_CLASS;
    pre.insertAdjacentElement('afterend', host);
    anchors.push({ host, block });
  }
  const placed = new Set(anchors.map(anchor => anchor.block));
  return {
    anchors,
    unplaced: blocks.filter(block => !placed.has(block))
  };
}

/**
 * Arrow keys, Home and End move the focus between a toolbar's buttons, as
 * the ARIA toolbar pattern has it; Tab still reaches each of them.
 */
function moveFocus(event: React.KeyboardEvent<HTMLElement>): void {
  const keys = ['ArrowLeft', 'ArrowRight', 'Home', 'End'];
  if (!keys.includes(event.key)) {
    return;
  }
  const buttons = Array.from(
    event.currentTarget.querySelectorAll<HTMLButtonElement>(
      'button:not(:disabled)'
    )
  );
  const current = buttons.indexOf(event.target as HTMLButtonElement);
  if (current === -1 || buttons.length === 0) {
    return;
  }
  event.preventDefault();
  const last = buttons.length - 1;
  const next =
    event.key === 'Home'
      ? 0
      : event.key === 'End'
        ? last
        : event.key === 'ArrowLeft'
          ? (current + last) % buttons.length
          : (current + 1) % buttons.length;
  buttons[next].focus();
}

function normalize(text: string): string {
  return text.replace(/\r\n?/g, '\n').trim();
}

/**
 * Props of {@link CodeToolbar}.
 */
export interface ICodeToolbarProps {
  block: ICodeBlock;
  /** What the buttons do. */
  runner: CodeRunner;
  trans: TranslationBundle;
  /** Whether code from the panel is running (Run is then disabled). */
  running: boolean;
}

/**
 * The buttons of one code block: Insert below, Replace cell, Run, Copy.
 * Every action goes through the code runner of the chat model.
 */
export function CodeToolbar(props: ICodeToolbarProps): JSX.Element {
  const { block, runner, trans, running } = props;
  const [copied, setCopied] = React.useState(false);
  React.useEffect(() => {
    if (!copied) {
      return;
    }
    const timer = setTimeout(() => setCopied(false), 1500);
    return () => clearTimeout(timer);
  }, [copied]);

  const what = trans.__('code block %1', block.index + 1);
  const button = (
    className: string,
    icon: LabIcon,
    label: string,
    onClick: () => void,
    disabled = false
  ): JSX.Element => (
    <button
      type="button"
      className={`jp-Button jp-mod-minimal jp-oci-code-action ${className}`}
      aria-label={`${label} (${what})`}
      title={label}
      disabled={disabled}
      onClick={onClick}
    >
      <icon.react tag="span" elementSize="small" />
    </button>
  );

  return (
    <div
      className="jp-oci-code-toolbar"
      role="toolbar"
      aria-label={trans.__('Actions for %1', what)}
      data-language={block.language}
      onKeyDown={moveFocus}
    >
      {button(
        'jp-oci-code-insert',
        addBelowIcon,
        trans.__('Insert below the active cell'),
        () => runner.insertCode(block.code)
      )}
      {button(
        'jp-oci-code-replace',
        editIcon,
        trans.__('Replace the active cell'),
        () => runner.replaceCell(block.code)
      )}
      {button(
        'jp-oci-code-run',
        runIcon,
        trans.__('Run in a new cell below'),
        () => void runner.runCode(block.code),
        running
      )}
      {button(
        'jp-oci-code-copy',
        copied ? checkIcon : copyIcon,
        copied ? trans.__('Copied') : trans.__('Copy'),
        () => setCopied(runner.copyCode(block.code))
      )}
    </div>
  );
}
