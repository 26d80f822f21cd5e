// The home page: every goal, needs-attention first, filtered by status, redrawn on each snapshot the server pushes.
'use strict';

(() => {
  const { el, follow, money, when, progressBar, badge, liveState } = longhaul;
  const body = document.getElementById('goals');
  const filter = document.getElementById('filter');
  const count = document.getElementById('count');
  const error = document.getElementById('error');
  let snapshot = null;

  filter.value = new URLSearchParams(location.search).get('status') || '';
  filter.addEventListener('change', () => {
    const url = new URL(location.href);
    if (filter.value) url.searchParams.set('status', filter.value);
    else url.searchParams.delete('status');
    history.replaceState(null, '', url);
    render();
  });

  function shown(goal) {
    if (!filter.value) return true;
    if (filter.value === 'attention') return Boolean(goal.attention);
    return goal.status === filter.value;
  }

  function row(g) {
    const link = el('a', { href: `/goals/${encodeURIComponent(g.goalId)}`, class: 'goal-id' }, g.goalId);
    return el(
      'tr',
      { class: g.attention ? 'attention' : '', 'data-goal': g.goalId, 'data-status': g.status },
      el(
        'td',
        { class: 'goal' },
        link,
        el('div', { class: 'objective' }, g.objective),
        g.attention ? el('div', { class: 'attention-line' }, `needs attention: ${g.attention}`) : null,
      ),
      el('td', {}, badge(g.status, g.paused)),
      el('td', {}, g.phase),
      el('td', {}, progressBar(g.progress)),
      el('td', { class: 'num turns' }, String(g.turns)),
      el('td', { class: 'num cost' }, money(g.costUsd)),
      el('td', { class: 'when' }, when(g.startedAt)),
    );
  }

  function render() {
    if (!snapshot) return;
    const goals = snapshot.goals.filter(shown);
    count.textContent = filter.value ? `(${goals.length} of ${snapshot.goals.length})` : `(${snapshot.goals.length})`;
    error.hidden = !snapshot.error;
    error.textContent = snapshot.error || '';
    const rows = goals.map(row);
    if (rows.length === 0) {
      rows.push(
        el(
          'tr',
          {},
          el(
            'td',
            { colspan: 7, class: 'muted' },
            snapshot.goals.length === 0 ? 'no goals yet: start one with `longhaul start`' : 'no goal with this status',
          ),
        ),
      );
    }
    body.replaceChildren(...rows);
    document.body.dataset.rendered = String(goals.length);
  }

  follow(
    '/live/goals',
    (s) => {
      snapshot = s;
      render();
    },
    liveState(document.getElementById('live')),
  );
})();
