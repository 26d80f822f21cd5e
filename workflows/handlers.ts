/**
 * The goal's message handlers: status query, edit/pause/resume/ask updates, guidance and cancel-requested signals.
 * Each steering message may say who sent it (`by`, goal/actor.ts); it is recorded with the event it causes.
 */
import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { actorOf } from '../goal/actor';
import { renderSnapshot } from '../goal/brief';
import { parseGoalEdit, type GoalEdit } from '../goal/edit';
import {
  askUpdate,
  cancelRequestedSignal,
  editUpdate,
  guideSignal,
  MAX_QUESTION_CHARS,
  moveUpdate,
  type MoveResult,
  pauseUpdate,
  resumeUpdate,
  statusQuery,
  type AskResult,
  type ByWhom,
  type EditResult,
  type PauseResult,
} from '../goal/messages';
import { resolveMove, type MoveRequest } from '../goal/placement';
import type { GoalRun } from '../goal/run';
import type { Acts } from './proxies';
import { publish } from './visibility';

export function registerHandlers(run: GoalRun, acts: Acts): void {
  setHandler(statusQuery, () => run.view(Date.now()));
  setHandler(
    editUpdate,
    (raw: GoalEdit, opts?: ByWhom): EditResult => {
      const result = run.queueEdit(parseGoalEdit(raw), Date.now(), actorOf(opts?.by));
      publish(run);
      return { ...result, appliesAt: 'next turn boundary' };
    },
    { validator: (raw: GoalEdit, _opts?: ByWhom) => void run.validateEdit(parseGoalEdit(raw), Date.now()) },
  );
  setHandler(guideSignal, (arg) => {
    const text = typeof arg === 'string' ? arg : typeof arg?.text === 'string' ? arg.text : '';
    if (!run.finished) run.guide(text, Date.now(), typeof arg === 'string' ? undefined : actorOf(arg?.by));
  });
  setHandler(cancelRequestedSignal, (arg) => run.cancelRequested(Date.now(), actorOf(arg?.by)));
  setHandler(
    pauseUpdate,
    (arg: ({ reason?: string } & ByWhom) | undefined): PauseResult => {
      run.pause(arg?.reason ?? null, Date.now(), actorOf(arg?.by));
      publish(run);
      return { paused: true, turn: run.state.turn };
    },
    {
      validator: (_arg: ({ reason?: string } & ByWhom) | undefined) =>
        run.assertRunning('pause only applies to running goals'),
    },
  );
  setHandler(
    resumeUpdate,
    (arg?: ByWhom): PauseResult => {
      run.resume(Date.now(), actorOf(arg?.by));
      publish(run);
      return { paused: false, turn: run.state.turn };
    },
    { validator: (_arg?: ByWhom) => run.assertRunning('resume only applies to running goals') },
  );
  setHandler(
    moveUpdate,
    async (request: MoveRequest): Promise<MoveResult> => {
      run.requestMove(resolveMove(request, placementView(run), Date.now()));
      publish(run);
      await condition(() => run.state.host.move === null); // the goal's wait for its host carries it out
      const last = run.state.host.lastMove;
      if (!last?.ok)
        throw ApplicationFailure.create({ message: last?.text ?? 'the move did not happen', nonRetryable: true });
      return { host: last.host, workspace: run.spec.workspace, text: last.text };
    },
    { validator: (request: MoveRequest) => void resolveMove(request, placementView(run), Date.now()) },
  );
  setHandler(
    askUpdate,
    async (arg): Promise<AskResult> => {
      const question = questionOf(arg);
      const turn = run.state.turn;
      const result = await acts.ask.answerQuestion.executeWithOptions(
        { summary: `ask: ${question.length > 60 ? `${question.slice(0, 57)}...` : question}` },
        [
          {
            goalId: run.state.goalId,
            question,
            snapshot: renderSnapshot(run, Date.now()),
            turn,
            model: run.spec.model,
          },
        ],
      );
      run.recordAsk(result.usage.totalTokens);
      run.asked(question, Date.now(), typeof arg === 'string' ? undefined : actorOf(arg?.by));
      return { answer: result.answer, turn };
    },
    {
      validator: (arg: string | { question: string }) => {
        run.assertRunning('ask only applies to running goals');
        const q = questionOf(arg);
        if (q === '') throw new Error('the question is empty: ask something, e.g. "what are you trying now?"');
        if (q.length > MAX_QUESTION_CHARS)
          throw new Error(`the question is ${q.length} characters; keep it under ${MAX_QUESTION_CHARS}`);
      },
    },
  );
}

function questionOf(arg: string | { question: string } | undefined): string {
  return (typeof arg === 'string' ? arg : typeof arg?.question === 'string' ? arg.question : '').trim();
}

/** What a move is checked against: the goal must be running and waiting for its lost host. */
function placementView(run: GoalRun) {
  run.assertRunning('a goal moves only while it runs');
  return { host: run.state.host, workspace: run.spec.workspace, remote: run.spec.git.remote };
}
