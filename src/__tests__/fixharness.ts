/**
 * One fix through the chat model, the client and the fake socket: what the
 * fix specs share.
 */
import { AssistantClient } from '../api/client';
import type { IChatEntry } from '../chat/conversation';
import { ChatModel } from '../chat/model';
import type { IChatSettings } from '../chat/settings';
import type { FixSession, IFixState } from '../loop/fix';
import {
  FakeTarget,
  FakeWebSocket,
  flushPromises,
  makeSettings
} from './fakes';

export class FixHarness {
  /**
   * A connected model with these settings, and a fix of a `FakeTarget`
   * (changed by `prepare` first) whose request went out.
   */
  static async start(
    settings: Partial<IChatSettings> = {},
    prepare: (target: FakeTarget) => void = () => undefined
  ): Promise<FixHarness> {
    FakeWebSocket.reset();
    const client = new AssistantClient({ serverSettings: makeSettings() });
    const model = new ChatModel({ client, settings });
    client.connect();
    const socket = FakeWebSocket.last;
    socket.open();
    const target = new FakeTarget();
    prepare(target);
    const session = model.fixes.start(target)!;
    await flushPromises();
    return new FixHarness(client, model, socket, target, session.requestId!);
  }

  private constructor(
    readonly client: AssistantClient,
    readonly model: ChatModel,
    readonly socket: FakeWebSocket,
    readonly target: FakeTarget,
    /** The id of the `fix` request. */
    readonly id: string
  ) {}

  /** The messages of `type` the client sent. */
  sent(type: string): any[] {
    return this.socket.messages.filter(m => m.type === type);
  }

  /** The first fix entry of the conversation. */
  entry(): IChatEntry {
    return this.model.messages.find(e => e.kind === 'fix')!;
  }

  fix(): IFixState {
    return this.entry().fix!;
  }

  session(): FixSession {
    return this.model.fixes.get(this.entry().id)!;
  }

  /** The server proposes `code` for `round`. */
  propose(round: number, code: string, explanation = ''): void {
    this.socket.receive({
      type: 'proposal',
      tried: false,
      preview: '',
      id: this.id,
      round,
      code,
      explanation
    });
  }

  dispose(): void {
    this.model.dispose();
    this.client.dispose();
  }
}
