/**
 * The chaos run's scripted agent on the loopback fake model: every turn one shell call that appends a line naming
 * the goal, the turn and the call to `calls.log` (so a re-executed tool call shows as a repeated line), raising the
 * score on the way; each turn request is reduced to what the checks need (goal, turn, the notes new in that turn).
 */
import { FakeOpenAI, type FakeReply, type RecordedRequest } from '../../test/fakes/openai-server';
import { sleep } from './cli';
import { isTurnRequest, turnOf, workspaceOf } from './model';

/** One goal as the model sees it. */
export interface ChaosGoalScript {
  readonly id: string;
  readonly workspace: string;
  /** Turns the goal runs: it reaches its target at this turn, or runs out of budget after it. */
  readonly turns: number;
  /** Whether the score reaches the target at the last turn (else it stops short: `budget_exhausted`). */
  readonly reachesTarget: boolean;
}

/** A turn request, reduced. */
export interface TurnRequest {
  readonly goal: string;
  readonly turn: number;
  /** Date.now() when it arrived. */
  readonly at: number;
  /** The user messages after the previous turn's last tool result: what this turn brought that is new. */
  readonly newNotes: string;
}

export interface ChaosModel {
  readonly fake: FakeOpenAI;
  readonly url: string;
  /** Every turn request, in arrival order (a turn asked again after a crash appears twice). */
  readonly turns: TurnRequest[];
  /** Requests without tools (compaction, summaries). */
  otherRequests: number;
  /** Requests whose body contained one of the secrets given to `startChaosModel`. */
  secretHits: number;
  /** The highest turn seen per goal. */
  readonly latestTurn: Map<string, number>;
  close(): Promise<void>;
}

/** The score a goal's workspace holds after turn `turn`: 20 more every 10 turns, the target (100) at the end. */
export function scoreAfter(g: ChaosGoalScript, turn: number): number {
  if (turn >= g.turns && g.reachesTarget) return 100;
  return Math.min(80, 20 * Math.floor(turn / 10));
}

/** The line turn `turn`'s tool call appends (without the trailing timestamp). */
export function callLine(g: ChaosGoalScript, turn: number): string {
  return `${g.id} turn ${turn} call ${callId(g, turn)}`;
}

const callId = (g: ChaosGoalScript, turn: number) => `call_${g.id}_t${turn}`;

function reply(g: ChaosGoalScript, turn: number): FakeReply {
  const score = scoreAfter(g, turn);
  const raise = score !== scoreAfter(g, turn - 1) ? ` && echo ${score} > score.txt` : '';
  // The timestamp (ns, the same clock as the harness's Date.now()) places each execution against the kills.
  const command = `echo "${callLine(g, turn)} $(date +%s%N)" >> calls.log${raise}`;
  return { toolCalls: [{ name: 'shell', arguments: { command }, callId: callId(g, turn) }] };
}

/** The text of the messages after the last tool call, tool result or assistant message of a Responses request. */
function newNotesOf(req: RecordedRequest): string {
  const items: unknown[] = Array.isArray(req.body.input) ? req.body.input : [];
  let start = 0;
  items.forEach((item, i) => {
    const it = item as { type?: string; role?: string };
    if (it.type === 'function_call' || it.type === 'function_call_output' || it.role === 'assistant') start = i + 1;
  });
  return items
    .slice(start)
    .map((item) => {
      const content = (item as { content?: unknown }).content;
      if (typeof content === 'string') return content;
      return Array.isArray(content) ? content.map((p: { text?: string }) => p.text ?? '').join('\n') : '';
    })
    .join('\n');
}

/**
 * Starts the fake model: each goal's turns are answered after `latency` ms (random in the range), from `goals`.
 * A request from an unknown workspace or past a goal's last turn gets a `done` call.
 */
export async function startChaosModel(
  goals: readonly ChaosGoalScript[],
  latency: readonly [number, number],
  secrets: readonly string[],
): Promise<ChaosModel> {
  const fake = await FakeOpenAI.start();
  const byWorkspace = new Map(goals.map((g) => [g.workspace, g]));
  const model: ChaosModel = {
    fake,
    url: fake.url,
    turns: [],
    otherRequests: 0,
    secretHits: 0,
    latestTurn: new Map(),
    close: () => fake.close(),
  };
  fake.setScript(async (req) => {
    fake.requests.length = 0; // the reduced log below is all the checks need
    const raw = JSON.stringify(req.body);
    if (secrets.some((s) => raw.includes(s))) model.secretHits += 1;
    if (!isTurnRequest(req)) {
      model.otherRequests += 1;
      return { text: 'Summary: each turn appended one line to calls.log; the score rises every ten turns.' };
    }
    const g = byWorkspace.get(workspaceOf(req));
    const turn = turnOf(req);
    if (g) {
      model.turns.push({ goal: g.id, turn, at: Date.now(), newNotes: newNotesOf(req) });
      model.latestTurn.set(g.id, Math.max(model.latestTurn.get(g.id) ?? 0, turn));
    }
    await sleep(latency[0] + Math.random() * (latency[1] - latency[0]));
    if (!g || turn > g.turns) return { toolCalls: [{ name: 'done', arguments: { summary: 'nothing left to do' } }] };
    return reply(g, turn);
  });
  return model;
}
