/**
 * The scripted agent the benchmarks run: the fake OpenAI server answers every turn with one short read-only tool
 * call (read_file), after a configurable latency, and records when each turn's request arrived.
 */
import {
  allText,
  FakeOpenAI,
  turnOf as turnOfRequest,
  type FakeReply,
  type RecordedRequest,
} from '../../test/fakes/openai-server';
import { sleep } from './cli';

/** A turn request carries the agent's tools; compaction and reflection calls carry none. */
export const isTurnRequest = (r: RecordedRequest): boolean => Array.isArray(r.body.tools) && r.body.tools.length > 0;

/** The goal's workspace, named in every turn's instructions (the peer's: its system message): tells loops apart. */
export function workspaceOf(r: RecordedRequest): string {
  const text = r.api === 'chat' ? allText(r) : String(r.body.instructions ?? '');
  return /^Workspace: (.*)$/m.exec(text)?.[1] ?? '';
}

/** The turn number the request announces (its turn-state message, or the instructions in the older layout). */
export const turnOf = turnOfRequest;

export interface TurnArrival {
  /** performance.now() when the request arrived. */
  readonly at: number;
  /** Date.now() when the request arrived (to compare with history timestamps). */
  readonly wall: number;
  readonly workspace: string;
  readonly turn: number;
}

export interface ScriptedModel {
  readonly fake: FakeOpenAI;
  /** Every turn request since the last reset, in arrival order. */
  readonly arrivals: TurnArrival[];
  /** Milliseconds each reply is held back (the model's latency). */
  latencyMs: number;
  /** The reply to a turn; default: read score.txt. */
  reply: (r: RecordedRequest) => FakeReply;
  /** Called with every turn request as it arrives (before the latency). */
  onTurn: ((r: RecordedRequest, a: TurnArrival) => void | Promise<void>) | null;
  /** Requests without tools answered so far (compaction summaries, reflections). */
  summaries: number;
  /** Keep the fake's request log (prompt inspection); off by default, so long runs do not hold every prompt. */
  keepRequests: boolean;
  close(): Promise<void>;
}

export const READ_SCORE: FakeReply = { toolCalls: [{ name: 'read_file', arguments: { path: 'score.txt' } }] };

export async function startScriptedModel(latencyMs = 0): Promise<ScriptedModel> {
  const fake = await FakeOpenAI.start();
  const model: ScriptedModel = {
    fake,
    arrivals: [],
    latencyMs,
    reply: () => READ_SCORE,
    onTurn: null,
    summaries: 0,
    keepRequests: false,
    close: () => fake.close(),
  };
  fake.setScript(async (req) => {
    if (!model.keepRequests) fake.requests.length = 0;
    if (!isTurnRequest(req)) {
      model.summaries += 1;
      return { text: 'summary: the agent read score.txt again and again; the score is 0' };
    }
    const arrival = { at: performance.now(), wall: Date.now(), workspace: workspaceOf(req), turn: turnOf(req) };
    model.arrivals.push(arrival);
    if (model.onTurn) await model.onTurn(req, arrival);
    if (model.latencyMs > 0) await sleep(model.latencyMs);
    return model.reply(req);
  });
  return model;
}
