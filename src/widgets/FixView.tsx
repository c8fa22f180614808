/**
 * A fix in the conversation: each round's explanation, diff and run, the
 * buttons for the proposal, how it ended, and the cells it names (the
 * cause's, and cells below that passed before it and fail since).
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { IFixCauseRepair, IFixCauseState } from '../loop/fixstate';
import { FIX_STATUSES, FixSession, IFixRound, IFixState } from '../loop/fix';
import { notAccepted, proposalProse } from '../loop/fixrounds';
import type { IDiffLine } from '../loop/diff';
import { IDiffRow, IWordSegment, diffRows } from '../loop/worddiff';
import { noteText } from '../loop/rounds';
import { LoopHeader, LoopRound } from './common';

/**
 * Props of {@link FixView}.
 */
export interface IFixViewProps {
  fix: IFixState;
  /** The id of the conversation entry (the panel brings it into view). */
  entryId?: string;
  /** The session of the fix; null once the conversation forgot it. */
  session: FixSession | null;
  trans: TranslationBundle;
}

/**
 * The fix loop of a failing cell: each round's explanation, diff and run,
 * the buttons for the proposal, and the outcome.
 */
export function FixView(props: IFixViewProps): JSX.Element {
  const { fix, session, trans } = props;
  const active = FIX_STATUSES.active.includes(fix.status);
  const headline =
    fix.status === 'fixed'
      ? trans._n(
          'Fixed %2 in %1 round',
          'Fixed %2 in %1 rounds',
          fix.outcome?.rounds ?? fix.round,
          fix.label
        )
      : fix.status === 'failed'
        ? trans.__('Not fixed: %1', fix.label)
        : fix.status === 'cancelled'
          ? trans.__('Fix of %1 ended', fix.label)
          : trans.__('Fixing %1 (round %2)', fix.label, fix.round);
  const undoLabel =
    fix.cause?.repair?.status === 'applied' && fix.cause.cell !== null
      ? trans.__(
          'Restore the sources cell %1 and this cell had before the fix',
          fix.cause.cell
        )
      : trans.__('Restore the original source of the cell');
  return (
    <div
      className="jp-oci-fix"
      data-entry-id={props.entryId}
      data-state={fix.status}
      data-round={fix.round}
      data-applied={fix.applied ? 'true' : 'false'}
      aria-label={trans.__('Fix of %1', fix.label)}
    >
      <LoopHeader
        prefix="jp-oci-fix"
        headline={headline}
        active={active}
        stopLabel={trans.__('Stop the fix')}
        stopTitle={trans.__('Stop the fix')}
        onStop={() => session?.stop()}
        trans={trans}
      />
      {fix.error && <div className="jp-oci-fix-error">{fix.error}</div>}
      {fix.rounds.map(round => (
        <FixRoundView
          key={round.round}
          round={round}
          current={round.round === fix.round}
          fix={fix}
          trans={trans}
        />
      ))}
      {fix.status === 'proposed' && (
        <div className="jp-oci-fix-actions">
          <button
            type="button"
            className="jp-Button jp-mod-styled jp-mod-accept jp-oci-fix-apply-run"
            aria-label={trans.__('Apply the fix and run the cell')}
            title={trans.__('Apply the fix and run the cell')}
            onClick={() => void session?.applyAndRun()}
          >
            {trans.__('Apply & run')}
          </button>
          <button
            type="button"
            className="jp-Button jp-mod-styled jp-oci-fix-apply"
            aria-label={trans.__(
              'Apply the fix to the cell without running it'
            )}
            title={trans.__('Apply the fix to the cell without running it')}
            onClick={() => session?.apply()}
          >
            {trans.__('Apply')}
          </button>
          <button
            type="button"
            className="jp-Button jp-mod-styled jp-mod-reject jp-oci-fix-discard"
            aria-label={trans.__('Discard the fix')}
            title={trans.__('Discard the fix')}
            onClick={() => session?.discard()}
          >
            {trans.__('Discard')}
          </button>
        </div>
      )}
      {!active && (
        <div className="jp-oci-fix-outcome" role="status">
          {fix.message ??
            (fix.status === 'fixed'
              ? trans.__('The cell runs without error.')
              : '')}
        </div>
      )}
      {fix.status === 'fixed' && fix.cause && (
        <FixCauseNote cause={fix.cause} session={session} trans={trans} />
      )}
      {fix.regressions?.map((regression, i) => (
        <div
          key={`${regression.cell}-${i}`}
          className="jp-oci-fix-regression"
          data-cell={regression.cell}
          role="status"
        >
          <span className="jp-oci-fix-regression-text">
            {trans.__(
              'Cell %1 passed before this fix and fails now.',
              regression.cell
            )}
          </span>
          {session && (
            <CellLink
              className="jp-oci-fix-regression-link"
              cell={regression.cell}
              onClick={() => session.revealRegression(i)}
              trans={trans}
            />
          )}
        </div>
      ))}
      {fix.applied && !active && fix.cause?.repair?.status !== 'running' && (
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-mod-minimal jp-oci-fix-undo"
          aria-label={undoLabel}
          title={undoLabel}
          onClick={() => session?.undo()}
        >
          {trans.__('Undo')}
        </button>
      )}
    </div>
  );
}

/**
 * Where the cause of a fixed failure probably lay (an earlier cell whose
 * definitions the fix changed), with a button that shows that cell in the
 * notebook; no button once the cell is gone.
 */
function FixCauseNote(props: {
  cause: IFixCauseState;
  session: FixSession | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { cause, session, trans } = props;
  const names = cause.names.join(', ');
  const where = cause.cell;
  const text =
    where === null
      ? trans.__(
          'The cause was probably in an earlier cell, which defines %1: the fix repairs it in this cell.',
          names
        )
      : trans.__(
          'The cause was probably in cell %1, which defines %2: the fix repairs it in this cell.',
          where,
          names
        );
  return (
    <div className="jp-oci-fix-cause" data-cell={where ?? ''}>
      <span className="jp-oci-fix-cause-text">{text}</span>
      {where !== null && session && (
        <CellLink
          className="jp-oci-fix-cause-link"
          cell={where}
          onClick={() => session.revealCause()}
          trans={trans}
        />
      )}
      {cause.repair && where !== null && (
        <FixCauseRepairView
          repair={cause.repair}
          cell={where}
          session={session}
          trans={trans}
        />
      )}
    </div>
  );
}

/**
 * The fix made in the cell where the cause lay instead: that cell's diff
 * (and the failing cell's, when it changes too), and Apply in cell N & run;
 * then how it went.
 */
function FixCauseRepairView(props: {
  repair: IFixCauseRepair;
  /** The cause's cell's 1-based position. */
  cell: number;
  session: FixSession | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { repair, cell, session, trans } = props;
  const applied = repair.status === 'applied';
  return (
    <div
      className="jp-oci-fix-repair"
      data-status={repair.status}
      aria-label={trans.__('The repair made in cell %1', cell)}
    >
      {!applied && (
        <>
          <div className="jp-oci-fix-repair-title">
            {trans.__('Make this repair in cell %1 instead', cell)}
          </div>
          <div className="jp-oci-fix-repair-cell">
            {trans.__('Cell %1:', cell)}
          </div>
          <DiffView lines={repair.diff} />
          {repair.cellDiff && (
            <>
              <div className="jp-oci-fix-repair-cell">
                {trans.__('This cell:')}
              </div>
              <DiffView lines={repair.cellDiff} />
            </>
          )}
          {session && (
            <button
              type="button"
              className="jp-Button jp-mod-styled jp-mod-accept jp-oci-fix-repair-apply"
              disabled={repair.status === 'running'}
              aria-label={trans.__(
                'Make the repair in cell %1, then run it and this cell',
                cell
              )}
              title={trans.__(
                'Make the repair in cell %1, then run it and this cell',
                cell
              )}
              onClick={() => void session.applyInCause()}
            >
              {repair.status === 'running'
                ? trans.__('Running cell %1…', cell)
                : trans.__('Apply in cell %1 & run', cell)}
            </button>
          )}
        </>
      )}
      {repair.message && (
        <div className="jp-oci-fix-repair-message" role="status">
          {repair.message}
        </div>
      )}
    </div>
  );
}

/**
 * A button that reads as a link: Go to cell N, which makes the cell the
 * active one of its notebook and scrolls it into view.
 */
function CellLink(props: {
  className: string;
  /** The cell's 1-based position. */
  cell: number;
  onClick: () => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { cell, trans } = props;
  return (
    <button
      type="button"
      className={props.className}
      aria-label={trans.__('Go to cell %1 in the notebook', cell)}
      title={trans.__(
        'Make cell %1 the active cell and scroll it into view',
        cell
      )}
      onClick={props.onClick}
    >
      {trans.__('Go to cell %1', cell)}
    </button>
  );
}

/**
 * One round: the streamed answer (then the proposal's explanation), the
 * diff, and the run's result: a run that passed in the kernel but that the
 * server did not accept says so (the loop goes on with the next round).
 */
function FixRoundView(props: {
  round: IFixRound;
  current: boolean;
  fix: IFixState;
  trans: TranslationBundle;
}): JSX.Element {
  const { round, fix, trans } = props;
  const streaming =
    round.code === undefined && props.current && fix.status === 'streaming';
  // Once the proposal came: its prose (the code is in the diff).
  const text =
    round.code !== undefined
      ? proposalProse(round) || trans.__('The proposed change:')
      : round.text;
  const rejected = notAccepted(fix, round);
  const note = rejected ? '' : noteText(round.note);
  return (
    <LoopRound
      className="jp-oci-fix-round"
      round={round.round}
      attributes={{ 'data-result': round.result?.status ?? '' }}
      text={text}
      renderText={text => <div className="jp-oci-fix-explanation">{text}</div>}
      streaming={streaming}
      trans={trans}
    >
      {round.code === undefined && !props.current && (
        <div className="jp-oci-fix-note">
          {trans.__('Nothing in this round was proposed; asked again.')}
        </div>
      )}
      {round.diff && <DiffView lines={round.diff} />}
      {round.tried && !round.result && (
        <div className="jp-oci-fix-tried">
          {trans.__('Passed in a copy of your kernel.')}
        </div>
      )}
      {round.tried && !round.result && round.preview && (
        <details className="jp-oci-fix-preview" open>
          <summary>{trans.__('What it did there')}</summary>
          <pre className="jp-oci-fix-preview-text">{round.preview}</pre>
        </details>
      )}
      {round.result && (
        <div
          className="jp-oci-fix-result"
          data-status={round.result.status}
          data-accepted={rejected ? 'false' : undefined}
        >
          {round.result.status === 'running'
            ? trans.__('Running the cell…')
            : rejected
              ? rejected.reason
                ? trans.__(
                    'Ran without error, but not accepted: %1.',
                    rejected.reason
                  )
                : trans.__('Ran without error, but not accepted.')
              : round.result.status === 'ok'
                ? trans.__('Ran without error. %1', round.result.text)
                : trans.__('Still failing: %1', round.result.text)}
        </div>
      )}
      {note && <div className="jp-oci-fix-note">{note}</div>}
    </LoopRound>
  );
}

/**
 * A line diff: removed and added lines marked, and within a removed line and
 * the added line that replaces it, the words that changed (`<del>`,
 * `<ins>`). Long lines wrap; the sign column stays apart.
 */
function DiffView(props: { lines: ReadonlyArray<IDiffLine> }): JSX.Element {
  const rows = React.useMemo(() => diffRows(props.lines), [props.lines]);
  return (
    <pre className="jp-oci-diff">
      {rows.map((row, i) => (
        <div
          key={i}
          className={
            row.kind === 'same'
              ? 'jp-oci-diff-line'
              : `jp-oci-diff-line jp-oci-diff-${row.kind}`
          }
        >
          <span className="jp-oci-diff-sign" aria-hidden="true">
            {row.kind === 'del' ? '- ' : row.kind === 'add' ? '+ ' : '  '}
          </span>
          <span className="jp-oci-diff-text">
            {row.kind === 'same' ? row.text : <ChangedText row={row} />}
          </span>
        </div>
      ))}
    </pre>
  );
}

/**
 * The text of a removed or added line: its changed words marked, or the
 * whole line when it has no counterpart sharing words with it.
 */
function ChangedText(props: { row: IDiffRow }): JSX.Element {
  const { row } = props;
  const kind = row.kind === 'del' ? 'del' : 'add';
  return row.segments ? (
    <>
      {row.segments.map((segment, j) => (
        <Segment key={j} kind={kind} segment={segment} />
      ))}
    </>
  ) : (
    <Segment kind={kind} segment={{ text: row.text, changed: true }} whole />
  );
}

/**
 * A piece of a removed or added line: a changed one is a `<del>` or an
 * `<ins>` (a whole line: unmarked within it).
 */
function Segment(props: {
  kind: 'del' | 'add';
  segment: IWordSegment;
  whole?: boolean;
}): JSX.Element {
  const { kind, segment } = props;
  if (!segment.changed) {
    return <>{segment.text}</>;
  }
  const className = props.whole ? 'jp-oci-diff-whole' : 'jp-oci-diff-word';
  return kind === 'del' ? (
    <del className={className}>{segment.text}</del>
  ) : (
    <ins className={className}>{segment.text}</ins>
  );
}
