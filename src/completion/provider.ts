/**
 * Inline completions (ghost text) from the assistant's model, through
 * JupyterLab's own inline completer: its debounce, shortcuts (Tab accepts,
 * Escape dismisses), streaming display and per-provider settings apply.
 */
import {
  CompletionHandler,
  IInlineCompletionContext,
  IInlineCompletionItem,
  IInlineCompletionList,
  IInlineCompletionProvider
} from '@jupyterlab/completer';
import { NotebookPanel } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { TranslationBundle } from '@jupyterlab/translation';
import { JSONValue } from '@lumino/coreutils';

import type { AssistantClient } from '../api/client';
import type { ChatStream } from '../api/streams';
import { completionInput } from './input';

/**
 * The provider's own settings, next to JupyterLab's (enabled, debouncer
 * delay, timeout) under the inline completer's `providers`.
 */
export interface IInlineSettings {
  maxLines: number;
  model: string;
}

export const DEFAULT_INLINE_SETTINGS: IInlineSettings = {
  maxLines: 3,
  model: 'chat'
};

export class AssistantInlineProvider implements IInlineCompletionProvider {
  readonly identifier = 'opencodeinterpreter-lab:inline';
  readonly name: string;
  readonly schema: ISettingRegistry.IProperty;

  constructor(
    private readonly _client: AssistantClient,
    trans: TranslationBundle
  ) {
    this.name = trans.__('OpenCodeInterpreter (local model)');
    this.schema = {
      properties: {
        maxLines: {
          title: trans.__('Maximum lines'),
          description: trans.__('Longest suggestion, in lines (1 to 20).'),
          type: 'number',
          minimum: 1,
          maximum: 20
        },
        model: {
          title: trans.__('Model'),
          description: trans.__(
            'Which model completes: "chat" (the chat model, wherever it runs: the best suggestions) or the catalog key of a local model, e.g. "qwen2.5-coder-0.5b" (faster and lighter on a busy CPU, but it fills far fewer lines right; pip install opencodeinterpreter_lab[small-model]).'
          ),
          type: 'string'
        }
      },
      default: {
        ...DEFAULT_INLINE_SETTINGS,
        debouncerDelay: 250,
        timeout: 8000
      }
    };
  }

  configure(settings: { [property: string]: JSONValue }): void {
    const maxLines = Number(settings.maxLines);
    this._settings = {
      maxLines: Number.isFinite(maxLines)
        ? maxLines
        : DEFAULT_INLINE_SETTINGS.maxLines,
      model:
        typeof settings.model === 'string' && settings.model
          ? settings.model
          : DEFAULT_INLINE_SETTINGS.model
    };
  }

  async fetch(
    request: CompletionHandler.IRequest,
    context: IInlineCompletionContext
  ): Promise<IInlineCompletionList> {
    this._current?.cancel(); // the user typed on: that suggestion is stale
    this._current = null;
    const input = completionInput(
      request.text,
      request.offset,
      request.mimeType ?? '',
      cellsAbove(context),
      this._settings.maxLines
    );
    if (!input) {
      return { items: [] };
    }
    const stream = this._client.complete({
      ...input,
      model: this._settings.model
    });
    this._current = stream;
    this._streams.set(stream.id, stream);
    return {
      items: [{ insertText: '', isIncomplete: true, token: stream.id }]
    };
  }

  /**
   * The suggestion as it grows; it ends quietly whatever happens (a failed
   * completion shows nothing rather than interrupting the user's typing).
   */
  async *stream(
    token: string
  ): AsyncGenerator<{ response: IInlineCompletionItem }> {
    const stream = this._streams.get(token);
    this._streams.delete(token);
    if (!stream) {
      return;
    }
    let text = '';
    const outcome = { failed: false };
    for await (const piece of pieces(stream, outcome)) {
      text += piece;
      yield { response: { insertText: text, isIncomplete: true, token } };
    }
    // A failed suggestion is taken back rather than left half-written.
    const insertText = outcome.failed ? '' : text;
    yield { response: { insertText, isIncomplete: false, token } };
  }

  private _settings: IInlineSettings = { ...DEFAULT_INLINE_SETTINGS };
  private _current: ChatStream | null = null;
  private _streams = new Map<string, ChatStream>();
}

/**
 * The sources of the code cells above the active cell, when a notebook asks.
 */
function cellsAbove(context: IInlineCompletionContext): string[] {
  const widget = context.widget;
  if (!(widget instanceof NotebookPanel)) {
    return [];
  }
  const notebook = widget.content;
  const sources: string[] = [];
  for (let i = 0; i < notebook.activeCellIndex; i++) {
    const cell = notebook.widgets[i];
    if (cell?.model.type === 'code') {
      sources.push(cell.model.sharedModel.getSource());
    }
  }
  return sources;
}

/**
 * A stream's tokens as an async iterable that ends with the stream (done,
 * cancelled or failed: then `outcome.failed` is set).
 */
async function* pieces(
  stream: ChatStream,
  outcome: { failed: boolean }
): AsyncGenerator<string> {
  const queue: string[] = [];
  let wake: (() => void) | null = null;
  let ended = false;
  const onToken = (_: ChatStream, text: string): void => {
    queue.push(text);
    wake?.();
  };
  stream.tokenReceived.connect(onToken);
  void stream.finished
    .catch(reason => {
      outcome.failed = true;
      console.debug('Inline completion failed:', reason);
    })
    .finally(() => {
      ended = true;
      wake?.();
    });
  try {
    while (!ended || queue.length) {
      if (queue.length) {
        yield queue.shift()!;
      } else {
        await new Promise<void>(resolve => (wake = resolve));
        wake = null;
      }
    }
  } finally {
    stream.tokenReceived.disconnect(onToken);
  }
}
