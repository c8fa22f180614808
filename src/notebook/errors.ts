/**
 * Why a notebook operation could not be done, each with its own message.
 */

/**
 * Why a notebook operation could not be done. Each has its own message.
 */
export type NotebookErrorKind =
  | 'no-notebook'
  | 'no-kernel'
  | 'kernel-dead'
  | 'kernel-restarting'
  | 'notebook-closed'
  | 'cell-deleted'
  | 'kernel-restarted'
  | 'cancelled';

/**
 * A notebook operation that could not be done; its message is shown as is.
 */
export class NotebookError extends Error {
  constructor(
    readonly kind: NotebookErrorKind,
    message: string = NotebookError.MESSAGES[kind]
  ) {
    super(message);
    this.name = 'NotebookError';
  }
}

export namespace NotebookError {
  export const MESSAGES: Record<NotebookErrorKind, string> = {
    'no-notebook':
      'No notebook is open. Open a notebook to insert or run code.',
    'no-kernel':
      'The notebook has no kernel. Select a kernel to run code in it.',
    'kernel-dead':
      'The notebook’s kernel is dead. Restart the kernel to run code.',
    'kernel-restarting':
      'The notebook’s kernel is restarting. Try again when it is ready.',
    'notebook-closed':
      'The notebook was closed before the code finished running.',
    'cell-deleted':
      'The cell was deleted before the code finished running; its outputs are lost.',
    'kernel-restarted':
      'The kernel restarted or died before the code finished running; its outputs are lost.',
    cancelled:
      'The run was cancelled before it finished (was the kernel restarted or interrupted?).'
  };
}
