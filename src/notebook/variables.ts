/**
 * Reading a summary of the kernel's variables (name, type, shape or length)
 * with a silent execute request, for the context of questions and fixes.
 */
import { kernelLanguage } from './kernel';
import type { INotebookPanelLike, VariablesReader } from './types';

/**
 * Python run silently in the kernel to list its variables: name, type, and
 * shape, length or short value. It defines one function, which the user
 * expression below calls and removes again; no output, no history.
 */
export const VARIABLES_CODE = `def _oci_variables():
    import types
    hidden = {'In', 'Out', 'exit', 'quit', 'get_ipython'}
    skipped = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType, type)
    rows = []
    for name, value in list(globals().items()):
        if name.startswith('_') or name in hidden or isinstance(value, skipped):
            continue
        try:
            kind = type(value)
            text = kind.__name__ if kind.__module__ == 'builtins' else kind.__module__ + '.' + kind.__qualname__
            shape = getattr(value, 'shape', None)
            if isinstance(shape, tuple):
                text += ' shape=' + repr(tuple(shape))
                columns = getattr(value, 'columns', None)
                if columns is not None and len(shape) == 2:
                    text += ' columns=' + repr([str(c) for c in list(columns)[:12]])
            elif isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)):
                text += ' len=' + str(len(value))
            if isinstance(value, (bool, int, float, complex)) or (isinstance(value, str) and len(value) <= 40):
                text += ' = ' + repr(value)
        except Exception:
            text = '?'
        rows.append(name + ': ' + text)
    class _Text:
        def __repr__(self):
            return '\\n'.join(rows[:100])
    return _Text()
`;

/**
 * The user expression that returns the summary and removes the function.
 */
export const VARIABLES_EXPRESSION =
  "(_oci_variables(), globals().pop('_oci_variables', None))[0]";

/**
 * Read the variables of a Python notebook's kernel with a silent execute
 * request (not in the history, no output, execution count unchanged).
 * Null for other languages, without a kernel, or when it fails.
 */
export async function readKernelVariables(
  panel: INotebookPanelLike
): Promise<string | null> {
  const kernel = panel.sessionContext.session?.kernel;
  if (!kernel || kernelLanguage(panel.content) !== 'python') {
    return null;
  }
  const future = kernel.requestExecute(
    {
      code: VARIABLES_CODE,
      silent: true,
      store_history: false,
      allow_stdin: false,
      user_expressions: { variables: VARIABLES_EXPRESSION }
    },
    true
  );
  const reply = await future.done;
  const content = reply.content as {
    status: string;
    user_expressions?: Record<string, any>;
  };
  const result = content.user_expressions?.variables;
  if (content.status !== 'ok' || result?.status !== 'ok') {
    return null;
  }
  const text = result.data?.['text/plain'];
  return typeof text === 'string' ? text : null;
}

/**
 * The latest variables summary of each notebook's kernel, read again after
 * each run while enabled (the `includeKernelVariables` setting).
 */
export class KernelVariables {
  constructor(read: VariablesReader) {
    this.read = read;
  }

  /**
   * Reads a notebook's variables now.
   */
  readonly read: VariablesReader;

  get enabled(): boolean {
    return this._enabled;
  }

  /**
   * Turn reading on or off; what was read is forgotten. Turning it on reads
   * the variables of `panel` (the current notebook).
   */
  setEnabled(enabled: boolean, panel: INotebookPanelLike | null): void {
    if (this._enabled === enabled) {
      return;
    }
    this._enabled = enabled;
    this._summaries = new WeakMap();
    if (enabled && panel) {
      void this.refresh(panel);
    }
  }

  /**
   * Read the variables of `panel` again, when enabled; resolves when the
   * summary is stored.
   */
  async refresh(panel: INotebookPanelLike | null): Promise<void> {
    if (!this._enabled || !panel) {
      return;
    }
    let summary: string | null = null;
    try {
      summary = await this.read(panel);
    } catch {
      summary = null;
    }
    if (this._isDisposed || panel.isDisposed) {
      return;
    }
    if (summary === null) {
      this._summaries.delete(panel);
    } else {
      this._summaries.set(panel, summary);
    }
  }

  /**
   * Whether a summary of `panel` was read.
   */
  has(panel: INotebookPanelLike): boolean {
    return this._summaries.has(panel);
  }

  /**
   * The last summary of `panel`; null when disabled or none was read.
   */
  summary(panel: INotebookPanelLike): string | null {
    return this._enabled ? (this._summaries.get(panel) ?? null) : null;
  }

  dispose(): void {
    this._isDisposed = true;
  }

  private _enabled = false;
  private _isDisposed = false;
  private _summaries = new WeakMap<INotebookPanelLike, string>();
}
