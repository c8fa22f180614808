import { ServerConnection } from '@jupyterlab/services';
import { nullTranslator } from '@jupyterlab/translation';
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import * as React from 'react';

import {
  ModelPickerModel,
  describePreparation,
  formatBytes,
  formatSpeed
} from '../chat/picker';
import type { IModelList, IModelOption } from '../protocol';
import { ModelPicker } from '../widgets/ModelPicker';

(globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;

const trans = nullTranslator.load('opencodeinterpreter_lab');

const option = (key: string, extra: Partial<IModelOption> = {}) => ({
  key,
  name: key.toUpperCase(),
  description: '',
  source: 'embedded' as const,
  size: 491400064,
  present: true,
  detail: 'assembled in the cache',
  tokens_per_second: null,
  ...extra
});

const MODELS = [option('big'), option('small', { tokens_per_second: 23.45 })];
const list = (extra: Partial<IModelList> = {}): IModelList => ({
  models: MODELS,
  current: 'big',
  preparing: null,
  error: '',
  ...extra
});

/** A fake server: answers in turn from `answers` (the last one repeats). */
function fakeApi(answers: Array<IModelList | Error>) {
  const calls: string[] = [];
  const next = async (call: string) => {
    calls.push(call);
    const answer = answers.length > 1 ? answers.shift()! : answers[0];
    if (answer instanceof Error) {
      throw answer;
    }
    return answer;
  };
  return {
    calls,
    list: () => next('list'),
    switch: (key: string) => next(`switch ${key}`),
    cancel: () => next('cancel')
  };
}

const tick = (ms = 0) => new Promise(resolve => setTimeout(resolve, ms));

describe('ModelPickerModel', () => {
  it('switches, follows the preparation and closes once the model serves', async () => {
    const preparing = {
      model: 'small',
      name: 'SMALL',
      state: 'loading' as const,
      message: 'Loading the model',
      progress: null,
      bytes_done: null,
      bytes_total: null
    };
    const api = fakeApi([
      list(),
      list({ preparing }),
      list({ preparing }),
      list({ current: 'small' })
    ]);
    const picker = new ModelPickerModel(api, 5);
    picker.toggle();
    await tick();
    expect(picker.isOpen).toBe(true);
    expect(picker.models.map(m => m.key)).toEqual(['big', 'small']);
    await picker.choose('small');
    expect(picker.preparing?.model).toBe('small');
    await tick(50);
    expect(api.calls).toEqual(['list', 'switch small', 'list', 'list']);
    expect(picker.current).toBe('small');
    expect(picker.preparing).toBeNull();
    expect(picker.isOpen).toBe(false);
    picker.dispose();
  });

  it('keeps the current model and says why when preparing fails', async () => {
    const api = fakeApi([list({ error: 'Could not download it.' })]);
    const picker = new ModelPickerModel(api, 5);
    await picker.choose('small');
    expect(picker.current).toBe('big');
    expect(picker.error).toBe('Could not download it.');
    picker.dispose();
  });

  it('becomes unavailable when the administrator turned it off', async () => {
    const response = new Response('{"message": "off"}', { status: 403 });
    const api = fakeApi([new ServerConnection.ResponseError(response, 'off')]);
    const picker = new ModelPickerModel(api);
    await picker.refresh();
    expect(picker.available).toBe(false);
    expect(picker.isOpen).toBe(false);
  });

  it('formats sizes, speeds and progress', () => {
    expect(formatBytes(491400064)).toBe('491 MB');
    expect(formatBytes(1117320768)).toBe('1.1 GB');
    expect(formatBytes(null)).toBe('—');
    expect(formatSpeed(null)).toBe('—');
    expect(formatSpeed(23.45)).toBe('23.4 tok/s');
    expect(
      describePreparation({
        model: 'x',
        name: 'X',
        state: 'preparing',
        message: 'Downloading x',
        progress: 0.25,
        bytes_done: 200_000_000,
        bytes_total: 800_000_000
      })
    ).toEqual({ text: 'Downloading x… 200 MB of 800 MB (25%)', percent: 25 });
  });
});

describe('ModelPicker view', () => {
  it('lists the models with size, presence and speed, and shows progress', async () => {
    const preparing = {
      model: 'small',
      name: 'SMALL',
      state: 'preparing' as const,
      message: 'Assembling',
      progress: 0.5,
      bytes_done: 245700032,
      bytes_total: 491400064
    };
    const api = fakeApi([list({ preparing })]);
    const picker = new ModelPickerModel(api, 60_000);
    const node = document.createElement('div');
    document.body.appendChild(node);
    const root = createRoot(node);
    await act(async () => {
      root.render(<ModelPicker picker={picker} trans={trans} />);
    });
    expect(node.textContent).toBe('');
    await act(async () => {
      picker.toggle();
      await tick();
    });
    const options = node.querySelectorAll('.jp-oci-picker-option');
    expect(options).toHaveLength(2);
    expect(options[0].getAttribute('data-current')).toBe('true');
    expect(options[0].textContent).toContain('491 MB');
    expect(options[0].textContent).toContain('—');
    expect(options[1].textContent).toContain('23.4 tok/s');
    const bar = node.querySelector('[role="progressbar"]')!;
    expect(bar.getAttribute('aria-valuenow')).toBe('50');
    expect(node.textContent).toContain('246 MB of 491 MB (50%)');
    await act(async () => {
      (
        node.querySelector('.jp-oci-picker-cancel') as HTMLButtonElement
      ).click();
      await tick();
    });
    expect(api.calls).toContain('cancel');
    await act(async () => root.unmount());
    picker.dispose();
  });
});
