import { LabIcon } from '@jupyterlab/ui-components';

/**
 * A speech bubble holding a code chevron.
 */
const ASSISTANT_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <path class="jp-icon3" fill="#616161" d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9.5L5 21.5V18H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm0 2v11h3v1.5L8.8 16H20V5H4z"/>
  <path class="jp-icon3" fill="#616161" d="M9.7 7.3 6.99 10.5l2.71 3.2 1.14-.98-1.9-2.22 1.9-2.22zM14.3 7.3l-1.14.98 1.9 2.22-1.9 2.22 1.14.98 2.71-3.2z"/>
</svg>`;

export const assistantIcon = new LabIcon({
  name: 'opencodeinterpreter-lab:assistant',
  svgstr: ASSISTANT_SVG
});
