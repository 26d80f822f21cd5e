// Shared by the dashboard's pages: DOM helpers, the live stream, and POSTs that carry the anti-forgery header.
'use strict';

globalThis.longhaul = (() => {
  const csrf = document.querySelector('meta[name="longhaul-csrf"]').content;

  /** An element with attributes and children (strings become text nodes: nothing is parsed as HTML). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  /**
   * Follows a live connection of snapshots (a WebSocket to `path` on this dashboard), reconnecting after a drop
   * (1 s, then up to 10 s apart).
   */
  function follow(path, onSnapshot, onState) {
    let delay = 1000;
    const connect = () => {
      const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`);
      ws.addEventListener('open', () => {
        delay = 1000;
        if (onState) onState('live');
      });
      ws.addEventListener('message', (e) => onSnapshot(JSON.parse(e.data)));
      ws.addEventListener('close', () => {
        if (onState) onState('reconnecting');
        setTimeout(connect, delay);
        delay = Math.min(10_000, delay * 2);
      });
    };
    connect();
  }

  async function post(url, body) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Longhaul-CSRF': csrf },
      body: JSON.stringify(body || {}),
      credentials: 'same-origin',
    });
    let reply;
    try {
      reply = await res.json();
    } catch {
      reply = { ok: false, message: `HTTP ${res.status}` };
    }
    return { ok: res.ok && reply.ok !== false, ...reply };
  }

  const money = (usd) => (usd === null || usd === undefined ? '—' : `$${usd.toFixed(2)}`);
  const percent = (f) => `${Math.round(Math.min(1, Math.max(0, Number(f) || 0)) * 100)}%`;
  const when = (iso) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '');
  const value = (v) =>
    v === null || v === undefined ? 'n/a' : Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));

  function progressBar(fraction) {
    const bar = el('span', {
      class: 'bar',
      role: 'progressbar',
      'aria-valuenow': Math.round((Number(fraction) || 0) * 100),
    });
    bar.append(el('span', { class: 'fill', 'data-width': percent(fraction) }));
    bar.firstChild.style.width = percent(fraction);
    return el('span', { class: 'progress' }, bar, el('span', { class: 'pct' }, percent(fraction)));
  }

  function badge(status, paused) {
    return el('span', { class: `badge status-${status}` }, paused ? `${status} · paused` : status);
  }

  function liveState(node) {
    return (state) => {
      node.textContent = state === 'live' ? '● live' : state === 'reconnecting' ? '○ reconnecting…' : '○ disconnected';
      node.className = `live live-${state}`;
    };
  }

  return { el, follow, post, money, percent, when, value, progressBar, badge, liveState };
})();
