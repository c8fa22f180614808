/**
 * The kernel of a notebook: whether code can run there now, what language
 * it speaks, and how a cell is run in it.
 */
import type { ISessionContext } from '@jupyterlab/apputils';
import { CodeCell } from '@jupyterlab/cells';
import type { Notebook } from '@jupyterlab/notebook';

import { NotebookError } from './errors';
import type { CellExecutor, INotebookPanelLike } from './types';

/**
 * Why code cannot run in a notebook's kernel now: no kernel, kernel dead or
 * restarting, notebook closed; else null.
 */
export function runProblem(panel: INotebookPanelLike): NotebookError | null {
  const session = panel.sessionContext;
  if (panel.isDisposed || session.isDisposed) {
    return new NotebookError('notebook-closed');
  }
  const kernel = session.session?.kernel;
  if (session.isRestarting) {
    return new NotebookError('kernel-restarting');
  }
  if (!kernel || session.hasNoKernel) {
    return new NotebookError('no-kernel');
  }
  switch (kernel.status) {
    case 'dead':
      return new NotebookError('kernel-dead');
    case 'restarting':
    case 'autorestarting':
      return new NotebookError('kernel-restarting');
  }
  return null;
}

/**
 * Whether an error is the one a pending execution ends with when its kernel
 * restarts (`Canceled future for execute_request …`).
 */
export function isCancelledFuture(reason: unknown): boolean {
  return reason instanceof Error && /^Canceled future/.test(reason.message);
}

/**
 * Whether the session's kernel is restarting, dead or gone.
 */
export function kernelGone(sessionContext: ISessionContext): boolean {
  const status = sessionContext.session?.kernel?.status;
  return (
    sessionContext.isRestarting ||
    !status ||
    ['restarting', 'autorestarting', 'starting', 'dead'].includes(status)
  );
}

/**
 * The language of a notebook's kernel, from its metadata (python by default).
 */
export function kernelLanguage(notebook: Notebook): string {
  const model = notebook.model;
  const info = model?.getMetadata('language_info') as
    { name?: unknown } | undefined;
  if (info && typeof info.name === 'string' && info.name) {
    return info.name;
  }
  const spec = model?.getMetadata('kernelspec') as
    { language?: unknown } | undefined;
  if (spec && typeof spec.language === 'string' && spec.language) {
    return spec.language;
  }
  return 'python';
}

/**
 * `CodeCell.execute`, as the notebook's own Run does.
 */
export const defaultExecutor: CellExecutor = (cell, sessionContext, notebook) =>
  CodeCell.execute(cell, sessionContext, {
    deletedCells: notebook.model?.deletedCells ?? [],
    recordTiming: notebook.notebookConfig.recordTiming
  });
