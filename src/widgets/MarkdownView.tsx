import {
  IRenderMime,
  IRenderMimeRegistry,
  MimeModel
} from '@jupyterlab/rendermime';
import * as React from 'react';

const MARKDOWN_MIME = 'text/markdown';

/**
 * Props of {@link MarkdownView}.
 */
export interface IMarkdownViewProps {
  /** The markdown source; it may grow while an answer streams. */
  source: string;
  rendermime: IRenderMimeRegistry;
  /**
   * Called with the rendered node once the latest source is rendered, and
   * again when this callback changes. The node's content is replaced by the
   * next render.
   */
  onRendered?: (node: HTMLElement) => void;
}

/**
 * Markdown rendered by JupyterLab's rendermime markdown renderer (sanitized,
 * code blocks highlighted). One renderer per message; while a render is
 * running, newer sources wait and only the latest one is rendered next, so a
 * fast stream of tokens costs at most one render at a time.
 */
export function MarkdownView(props: IMarkdownViewProps): JSX.Element {
  const { source, rendermime, onRendered } = props;
  const host = React.useRef<HTMLDivElement>(null);
  const renderer = React.useRef<IRenderMime.IRenderer | null>(null);
  const queue = React.useRef<{ busy: boolean; next: string | null }>({
    busy: false,
    next: null
  });
  const rendered = React.useRef(false);
  const callback = React.useRef(onRendered);
  callback.current = onRendered;

  React.useEffect(() => {
    const node = host.current;
    if (!node) {
      return;
    }
    const created = rendermime.createRenderer(MARKDOWN_MIME);
    node.appendChild(created.node);
    renderer.current = created;
    queue.current = { busy: false, next: null };
    rendered.current = false;
    return () => {
      renderer.current = null;
      created.dispose();
      node.textContent = '';
    };
  }, [rendermime]);

  React.useEffect(() => {
    const target = renderer.current;
    if (!target) {
      return;
    }
    const state = queue.current;
    if (state.busy) {
      state.next = source;
      return;
    }
    const render = (text: string): void => {
      state.busy = true;
      const model = new MimeModel({
        data: { [MARKDOWN_MIME]: text },
        trusted: false
      });
      target
        .renderModel(model)
        .catch((reason: unknown) => {
          console.error(
            'OpenCodeInterpreter: markdown rendering failed',
            reason
          );
        })
        .finally(() => {
          state.busy = false;
          const next = state.next;
          state.next = null;
          if (renderer.current !== target) {
            return;
          }
          if (next !== null) {
            render(next);
          } else {
            rendered.current = true;
            callback.current?.(target.node);
          }
        });
    };
    render(source);
  }, [source, rendermime]);

  React.useEffect(() => {
    const target = renderer.current;
    if (target && rendered.current && !queue.current.busy) {
      onRendered?.(target.node);
    }
  }, [onRendered]);

  return <div className="jp-oci-markdown" ref={host} />;
}
