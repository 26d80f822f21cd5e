// A goal page: criteria, charts, timeline, milestones, edits, guidance, latest turns, and the controls, all redrawn
// from the snapshots the server pushes for this goal.
'use strict';

(() => {
  const { el, follow, post, money, when, value, progressBar, badge, liveState } = longhaul;
  const goalId = decodeURIComponent(location.pathname.replace(/^\/goals\//, '').replace(/\/+$/, ''));
  const api = `/api/goals/${encodeURIComponent(goalId)}`;
  const $ = (id) => document.getElementById(id);
  let data = null;
  let targetsFor = '';
  document.title = `Longhaul · ${goalId}`;
  $('crumb').textContent = goalId;

  const say = (text, ok) => {
    $('message').textContent = text;
    $('message').className = `message ${ok ? 'ok' : 'bad'}`;
  };

  async function control(name, body, button) {
    if (button) button.disabled = true;
    say(`${name}…`, true);
    try {
      const reply = await post(`${api}/${name}`, body);
      say(reply.message || (reply.ok ? 'done' : 'failed'), reply.ok);
      return reply;
    } catch (err) {
      say(`${name} failed: ${err.message}`, false);
      return { ok: false };
    } finally {
      if (button) button.disabled = false;
    }
  }

  $('pause').addEventListener('click', (e) => control('pause', {}, e.currentTarget));
  $('resume').addEventListener('click', (e) => control('resume', {}, e.currentTarget));
  $('cancel').addEventListener('click', () => ($('cancel-confirm').hidden = false));
  $('cancel-no').addEventListener('click', () => ($('cancel-confirm').hidden = true));
  $('cancel-yes').addEventListener('click', async (e) => {
    const reply = await control('cancel', {}, e.currentTarget);
    if (reply.ok) $('cancel-confirm').hidden = true;
  });
  $('guide').addEventListener('click', async (e) => {
    const reply = await control('guide', { text: $('guide-text').value }, e.currentTarget);
    if (reply.ok) $('guide-text').value = '';
  });
  $('ask').addEventListener('click', async (e) => {
    const question = $('ask-text').value;
    $('answer').hidden = false;
    $('answer').replaceChildren(el('p', { class: 'question' }, question), el('p', { class: 'muted' }, 'asking…'));
    const reply = await control('ask', { question }, e.currentTarget);
    $('answer').replaceChildren(
      el('p', { class: 'question' }, question),
      reply.ok ? el('p', { class: 'answer-text' }, reply.answer) : el('p', { class: 'bad' }, reply.message),
    );
  });
  $('edit').addEventListener('click', async (e) => {
    const targets = {};
    for (const input of $('edit-targets').querySelectorAll('input[data-metric]'))
      targets[input.dataset.metric] = input.value;
    const body = { targets };
    for (const f of ['maxTurns', 'maxTokens', 'maxHours', 'maxCostUsd', 'reason']) body[f] = $(`edit-${f}`).value;
    const reply = await control('edit', body, e.currentTarget);
    if (reply.ok) for (const input of $('edit-box').querySelectorAll('input')) input.value = '';
  });

  const verdictClass = (v) => (v === 'MET' || v === true ? 'good' : v === 'NOT_MET' || v === false ? 'bad' : 'muted');
  const pass = (b) => (b === null ? 'not run' : b ? 'pass' : 'FAIL');

  function criteria(v) {
    const rows = [];
    for (const m of v.metrics) {
      const target = m.target === null ? 'n/a' : `${m.direction === 'lower' ? '≤' : '≥'} ${value(m.target)}`;
      rows.push(
        el(
          'tr',
          { 'data-metric': m.name },
          el('td', {}, `metric ${m.name}`),
          el('td', {}, value(m.baseline)),
          el('td', { class: 'latest' }, value(m.latest)),
          el('td', {}, value(m.best)),
          el('td', {}, target),
          el(
            'td',
            { class: verdictClass(m.verdict) },
            m.verdict +
              (m.pairs ? ` (${m.pairs.passes}/${m.pairs.n} pairs)` : '') +
              (m.lastError ? `: ${m.lastError}` : ''),
          ),
        ),
      );
    }
    for (const c of v.checks) {
      rows.push(
        el(
          'tr',
          {},
          el('td', {}, `check ${c.name}`),
          el('td', {}, pass(c.baseline)),
          el('td', {}, pass(c.latest)),
          el('td', {}, ''),
          el('td', {}, 'passes'),
          el('td', { class: verdictClass(c.latest) }, pass(c.latest)),
        ),
      );
    }
    for (const h of v.holdout) {
      rows.push(
        el(
          'tr',
          {},
          el('td', {}, `held-out check ${h.name}`),
          el('td', {}, ''),
          el('td', {}, pass(h.latest)),
          el('td', {}, ''),
          el('td', {}, 'passes'),
          el('td', { class: verdictClass(h.latest) }, pass(h.latest)),
        ),
      );
    }
    for (const c of v.checklist) {
      const state = c.verified === null ? 'not verified yet' : c.verified ? 'verified' : 'NOT verified';
      rows.push(
        el(
          'tr',
          {},
          el('td', {}, `checklist: ${c.item}`),
          el('td', {}, ''),
          el('td', {}, state),
          el('td', {}, ''),
          el('td', {}, 'verified'),
          el('td', { class: verdictClass(c.verified) }, c.by ? `by ${c.by}${c.reason ? `: ${c.reason}` : ''}` : ''),
        ),
      );
    }
    if (rows.length === 0) return el('p', { class: 'muted' }, 'no criteria');
    return el(
      'table',
      { class: 'criteria' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ['Criterion', 'Baseline', 'Latest', 'Best', 'Target', 'Verdict'].map((h) => el('th', {}, h)),
        ),
      ),
      el('tbody', {}, rows),
    );
  }

  function charts(list) {
    const box = $('charts');
    if (list.length === 0) {
      box.replaceChildren(el('p', { class: 'muted' }, 'no metrics'));
      return;
    }
    // Redraw only the charts that changed; the SVG comes escaped from the server's chart renderer.
    const existing = new Map([...box.querySelectorAll('[data-chart]')].map((n) => [n.dataset.chart, n]));
    const nodes = list.map((c) => {
      let node = existing.get(c.metric);
      if (!node) node = el('div', { class: 'chart-box', 'data-chart': c.metric });
      if (node.dataset.html !== c.html) {
        node.innerHTML = c.html;
        node.dataset.html = c.html;
        node.dataset.samples = String(c.samples);
      }
      return node;
    });
    box.replaceChildren(...nodes);
  }

  function timeline(v) {
    const items = [...v.events]
      .reverse()
      .map((e) =>
        el('li', { class: `event kind-${e.kind || 'note'}` }, el('span', { class: 'when' }, when(e.at)), ' ', e.text),
      );
    $('events').replaceChildren(...(items.length ? items : [el('li', { class: 'muted' }, 'no events yet')]));
  }

  function milestones(v, links) {
    const m = v.milestones;
    const events = v.events.filter((e) => e.kind === 'milestone');
    $('milestones').replaceChildren(
      el(
        'p',
        {},
        `${m.count} commit(s) on `,
        el('code', {}, m.branch),
        m.last ? [' · last ', el('code', { title: m.last }, m.last.slice(0, 12))] : '',
      ),
      events.length
        ? el(
            'ul',
            { class: 'plain' },
            events.map((e) => el('li', {}, el('span', { class: 'when' }, when(e.at)), ' ', e.text)),
          )
        : '',
      el(
        'p',
        { class: 'muted' },
        'see them with ',
        el('code', {}, `git log ${m.branch}`),
        links.progress ? [' or in the ', el('a', { href: links.progress }, 'progress document')] : '',
      ),
    );
  }

  function lists(v) {
    const edits = [
      ...v.history.map((h) =>
        el(
          'li',
          {},
          `v${h.version} · turn ${h.turn} · ${when(h.at)}: ${h.changes.join('; ')}${h.reason ? ` — ${h.reason}` : ''}`,
        ),
      ),
      ...v.pendingEdits.map((p) =>
        el('li', { class: 'pending' }, `v${p.version} · accepted ${when(p.at)}, applies at the next turn`),
      ),
    ];
    $('edits').replaceChildren(...(edits.length ? edits : [el('li', { class: 'muted' }, 'not edited')]));
    const guidance = v.guidance.map((g) => el('li', {}, `turn ${g.turn} · ${when(g.at)}: ${g.text}`));
    $('guidance').replaceChildren(...(guidance.length ? guidance : [el('li', { class: 'muted' }, 'no guidance sent')]));
    const b = v.budget;
    const of = (used, limit, unit = '') =>
      limit === null ? `${used}${unit} (no limit)` : `${used}${unit} of ${limit}${unit}`;
    $('budget').replaceChildren(
      el('li', {}, `turns: ${of(b.turns.used, b.turns.limit)}`),
      el('li', {}, `tokens: ${of(b.tokens.used, b.tokens.limit)}`),
      el('li', {}, `cost: ${money(b.cost.used)}${b.cost.limit ? ` of ${money(b.cost.limit)}` : ''}`),
      el('li', {}, `hours: ${of(b.hours.used.toFixed(2), b.hours.limit, ' h')}`),
    );
  }

  function turns(list) {
    const nodes = list.map((t) =>
      el(
        'article',
        { class: 'turn', 'data-turn': t.turn },
        el('h3', {}, `turn ${t.turn} `, el('span', { class: 'muted' }, `${when(t.at)} · ${t.tokens} tokens`)),
        t.text ? el('p', { class: 'agent-text' }, t.text) : null,
        t.calls.map((c) =>
          el(
            'div',
            { class: `call${c.isError ? ' error-call' : ''}` },
            el(
              'div',
              { class: 'call-head' },
              el('code', {}, c.name),
              ' ',
              el('span', { class: 'muted' }, c.summary || ''),
            ),
            el('pre', { class: 'args' }, c.arguments),
            c.output === null
              ? el('p', { class: 'muted' }, 'no result stored yet')
              : el('pre', { class: 'output' }, c.output),
          ),
        ),
      ),
    );
    $('turns').replaceChildren(
      ...(nodes.length
        ? nodes
        : [el('p', { class: 'muted' }, "no turns stored yet (or the goal store is not this host's)")]),
    );
  }

  function editTargets(v) {
    const key = v.metrics.map((m) => m.name).join('\0');
    if (key === targetsFor) return; // keep what the user is typing
    targetsFor = key;
    $('edit-targets').replaceChildren(
      ...v.metrics.map((m) =>
        el(
          'label',
          {},
          `target ${m.name} (now ${m.direction === 'lower' ? '≤' : '≥'} ${value(m.target)}) `,
          el('input', { 'data-metric': m.name, placeholder: 'e.g. -40% or 2.5' }),
        ),
      ),
    );
  }

  function render() {
    const v = data.view;
    $('error').hidden = !data.error;
    $('error').textContent = data.error || '';
    const l = data.links;
    $('links').replaceChildren(
      el(
        'span',
        {},
        l.temporalUi
          ? el(
              'a',
              { href: l.temporalUi, target: '_blank', rel: 'noopener noreferrer', id: 'temporal-link' },
              'workflow in the Temporal UI',
            )
          : '',
        l.progress
          ? [' · ', el('a', { href: l.progress, target: '_blank', id: 'progress-link' }, 'progress document')]
          : '',
        l.report ? [' · ', el('a', { href: l.report, target: '_blank' }, 'final report')] : '',
      ),
    );
    if (!v) {
      $('title').textContent = goalId;
      return;
    }
    $('title').replaceChildren(goalId, ' ', badge(v.status, v.paused));
    $('summary').replaceChildren(
      `phase ${v.phase} · turn ${v.turn} · goal version ${v.goalVersion} · `,
      progressBar(v.progress),
      ` · ${money(v.budget.cost.used)}`,
      v.paused ? ` · paused since ${when(v.pausedSince)}` : '',
    );
    document.body.dataset.status = v.status;
    document.body.dataset.paused = String(v.paused);
    $('objective').textContent = v.objective;
    $('attention').hidden = !v.attention;
    $('attention').textContent = v.attention ? `needs attention: ${v.attention.text}` : '';
    const running = v.status === 'running';
    $('pause').hidden = !running || v.paused;
    $('resume').hidden = !running || !v.paused;
    $('controls').classList.toggle('ended', !running);
    for (const b of $('controls').querySelectorAll('button, textarea, input')) b.disabled = !running;
    $('criteria').replaceChildren(criteria(v));
    charts(data.charts);
    timeline(v);
    milestones(v, l);
    lists(v);
    turns(data.turns);
    editTargets(v);
  }

  follow(
    `/live/goals/${encodeURIComponent(goalId)}`,
    (d) => {
      data = d;
      render();
    },
    liveState($('live')),
  );
})();
