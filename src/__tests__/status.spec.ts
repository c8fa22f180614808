/* eslint-disable jupyter/no-untranslated-string */
import { nullTranslator } from '@jupyterlab/translation';

import { describeStatus, endpointHost, shortModelName } from '../chat/status';
import { describeHeader } from '../widgets/Header';
import { makeStatus } from './fakes';

const trans = nullTranslator.load('opencodeinterpreter_lab');

const LOCAL = 'Qwen2.5-Coder-1.5B-Instruct Q4_K_M';
const ENDPOINT = 'http://gpu-box:8000/v1';

/** A status of the remote engine, ready unless overridden. */
function remote(overrides: Parameters<typeof makeStatus>[0] = {}) {
  return makeStatus({
    model: '/models/qwen2.5-coder-7b',
    source: 'remote',
    state: 'ready',
    endpoint: ENDPOINT,
    n_ctx: 32768,
    ...overrides
  });
}

describe('shortModelName', () => {
  it.each([
    ['/models/qwen2.5-coder-7b', 'qwen2.5-coder-7b'],
    ['/models/qwen2.5-coder-7b/', 'qwen2.5-coder-7b'],
    ['Qwen/Qwen2.5-Coder-7B-Instruct', 'Qwen2.5-Coder-7B-Instruct'],
    ['C:\\models\\coder.gguf', 'coder.gguf'],
    ['qwen2.5-coder:7b', 'qwen2.5-coder:7b'],
    ['  gpt-oss  ', 'gpt-oss'],
    ['', '']
  ])('%j → %j', (model, short) => {
    expect(shortModelName(model)).toBe(short);
  });
});

describe('endpointHost', () => {
  it.each([
    [ENDPOINT, 'gpu-box:8000'],
    ['http://localhost:11434/v1', 'localhost:11434'],
    ['https://api.example.com/v1', 'api.example.com'],
    ['http://[::1]:8080', '[::1]:8080'],
    ['gpu-box:8000/v1', 'gpu-box:8000'],
    ['', '']
  ])('%j → %j', (endpoint, host) => {
    expect(endpointHost(endpoint)).toBe(host);
  });
});

describe('describeStatus', () => {
  it('tells the local engine from a remote one', () => {
    expect(
      describeStatus(makeStatus({ state: 'ready' }), 'connected')
    ).toMatchObject({
      phase: 'ready',
      source: 'embedded',
      remote: false,
      model: LOCAL,
      endpoint: '',
      host: ''
    });
    expect(describeStatus(remote(), 'connected')).toMatchObject({
      phase: 'ready',
      source: 'remote',
      remote: true,
      model: 'qwen2.5-coder-7b',
      endpoint: ENDPOINT,
      host: 'gpu-box:8000'
    });
  });

  it('knows no source before the first status', () => {
    expect(describeStatus(null, 'connecting')).toMatchObject({
      phase: 'connecting',
      state: 'absent',
      source: null,
      remote: false,
      model: ''
    });
  });

  it('does not name a remote model by its server URL', () => {
    const line = describeStatus(
      remote({ model: ENDPOINT, state: 'absent' }),
      'connected'
    );
    expect(line.model).toBe('');
  });

  it('ignores an endpoint sent with a local engine', () => {
    const line = describeStatus(
      makeStatus({ state: 'ready', endpoint: ENDPOINT }),
      'connected'
    );
    expect([line.endpoint, line.host]).toEqual(['', '']);
  });
});

describe('describeHeader', () => {
  const text = (...args: Parameters<typeof describeHeader>) => {
    const { name, title, label } = describeHeader(...args);
    return { name, title, label };
  };

  describe('the local engine (unchanged)', () => {
    it.each([
      [makeStatus({ state: 'absent' }), 'Not loaded'],
      [
        makeStatus({
          state: 'loading',
          progress: 0.5,
          message: 'Assembling model'
        }),
        'Assembling model… 50%'
      ],
      [makeStatus({ state: 'loading' }), 'Loading…'],
      [makeStatus({ state: 'ready' }), 'Ready'],
      [
        makeStatus({ state: 'error', message: 'GGUF missing' }),
        'Error: GGUF missing'
      ],
      [makeStatus({ state: 'error' }), 'Error: unknown']
    ])('%#: %j', (status, label) => {
      expect(text(status, 'connected', trans)).toEqual({
        name: LOCAL,
        title: LOCAL,
        label
      });
    });

    it('words the socket before the first status', () => {
      expect(text(null, 'connecting', trans)).toEqual({
        name: 'Local model',
        title: undefined,
        label: 'Connecting…'
      });
      expect(text(null, 'connected', trans).label).toBe('Waiting…');
    });

    it('keeps a path-like local name whole', () => {
      const status = makeStatus({
        model: 'models/coder.gguf',
        source: 'path',
        state: 'ready'
      });
      expect(text(status, 'connected', trans)).toEqual({
        name: 'models/coder.gguf',
        title: 'models/coder.gguf',
        label: 'Ready'
      });
    });
  });

  describe('a remote engine', () => {
    const title = `/models/qwen2.5-coder-7b on ${ENDPOINT}`;

    it('shows the short name and the server once ready', () => {
      expect(text(remote(), 'connected', trans)).toEqual({
        name: 'qwen2.5-coder-7b',
        title,
        label: 'Ready · gpu-box:8000'
      });
      expect(
        text(
          remote({ model: 'Qwen/Qwen2.5-Coder-7B-Instruct' }),
          'connected',
          trans
        )
      ).toEqual({
        name: 'Qwen2.5-Coder-7B-Instruct',
        title: `Qwen/Qwen2.5-Coder-7B-Instruct on ${ENDPOINT}`,
        label: 'Ready · gpu-box:8000'
      });
    });

    it('shows the message while connecting', () => {
      const connecting = remote({
        state: 'loading',
        message: `Connecting to ${ENDPOINT}`
      });
      expect(text(connecting, 'connected', trans)).toEqual({
        name: 'qwen2.5-coder-7b',
        title,
        label: `Connecting to ${ENDPOINT}…`
      });
      // Without a message, it says so itself.
      expect(
        text(remote({ state: 'loading', message: '' }), 'connected', trans)
          .label
      ).toBe(`Connecting to ${ENDPOINT}…`);
    });

    it('shows the reason of an error', () => {
      const reason = `The model server at ${ENDPOINT} cannot be reached.`;
      expect(
        text(remote({ state: 'error', message: reason }), 'connected', trans)
      ).toEqual({
        name: 'qwen2.5-coder-7b',
        title,
        label: `Error: ${reason}`
      });
    });

    it('names the model generically until the server named it', () => {
      expect(
        text(remote({ model: ENDPOINT, state: 'absent' }), 'connected', trans)
      ).toEqual({
        name: 'Remote model',
        title: `Remote model on ${ENDPOINT}`,
        label: 'Not connected'
      });
    });

    it('copes with a status without an endpoint', () => {
      const status = remote({ model: 'coder' });
      delete (status as Partial<typeof status>).endpoint;
      expect(text(status, 'connected', trans)).toEqual({
        name: 'coder',
        title: 'coder',
        label: 'Ready · remote server'
      });
    });

    it('keeps the status line data', () => {
      expect(describeHeader(remote(), 'disconnected', trans)).toMatchObject({
        state: 'ready',
        source: 'remote',
        remote: true,
        reconnecting: true
      });
    });
  });
});
