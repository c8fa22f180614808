import { ServerConnection } from '@jupyterlab/services';

import { AssistantClient } from '../api/client';
import { IStatus } from '../protocol';
import {
  FakeWebSocket,
  flushPromises,
  makeSettings,
  makeStatus
} from './fakes';

describe('AssistantClient REST', () => {
  let client: AssistantClient;

  function makeClient(
    settings: Partial<ServerConnection.ISettings> = {}
  ): AssistantClient {
    return new AssistantClient({ serverSettings: makeSettings(settings) });
  }

  beforeEach(() => {
    FakeWebSocket.reset();
  });

  afterEach(() => {
    client?.dispose();
  });

  function respond(status: number, body: unknown): jest.Mock {
    return jest.fn(
      async (_request: Request) =>
        new Response(JSON.stringify(body), {
          status,
          headers: { 'Content-Type': 'application/json' }
        })
    );
  }

  it('POSTs load with the token header and applies the status', async () => {
    const loading = makeStatus({ state: 'loading' });
    const fetch = respond(202, loading);
    client = makeClient({ fetch });
    const seen: IStatus[] = [];
    client.statusChanged.connect((_, status) => seen.push(status));

    await expect(client.load()).resolves.toEqual(loading);

    expect(fetch).toHaveBeenCalledTimes(1);
    const request = fetch.mock.calls[0][0] as Request;
    expect(request.method).toBe('POST');
    expect(request.url).toMatch(
      /^http:\/\/localhost:8888\/base\/api\/opencodeinterpreter\/load\b/
    );
    expect(request.headers.get('Authorization')).toBe('token secret token');
    expect(client.status).toEqual(loading);
    expect(seen).toEqual([loading]);
  });

  it('GETs status', async () => {
    const ready = makeStatus({ state: 'ready' });
    const fetch = respond(200, ready);
    client = makeClient({ fetch });
    await expect(client.getStatus()).resolves.toEqual(ready);
    const request = fetch.mock.calls[0][0] as Request;
    expect(request.method).toBe('GET');
    expect(request.url).toContain('/api/opencodeinterpreter/status');
  });

  it('throws a ResponseError with the server message', async () => {
    client = makeClient({ fetch: respond(500, { message: 'No model' }) });
    const error = await client.load().catch(e => e);
    expect(error).toBeInstanceOf(ServerConnection.ResponseError);
    expect(error.message).toBe('No model');
    expect(error.response.status).toBe(500);
  });

  it('keeps the pushed status over a later REST answer', async () => {
    const fetch = respond(202, makeStatus({ state: 'loading' }));
    client = makeClient({ fetch });
    client.connect();
    const socket = FakeWebSocket.last;
    socket.open();
    const ready = makeStatus({ state: 'ready' });
    socket.receive({ type: 'status', status: ready });

    await client.load();
    await flushPromises();

    expect(client.status).toEqual(ready);
  });
});
