// Grove's browser client: one WebSocket to /ws speaking the JSON protocol of docs/protocol.md ("Web door").
// Everything from the network is inserted as text; only links become elements of their own.
'use strict';

const $ = id => document.getElementById(id);
const state = {
  ws: null, name: sessionStorage.getItem('grove.name') || null, registered: false,
  views: new Map(),        // key ("#room" or "@name") -> { title, topic, members: Map, messages: [], unread, oldest, complete }
  current: null, rooms: new Set(), retry: 0, wantName: null,
};

// ---- connection ---------------------------------------------------------------------------------------------------

function connect() {
  setStatus(state.retry ? 'reconnecting' : 'connecting', state.retry ? 'Reconnecting…' : 'Connecting…');
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
  state.ws = ws;
  ws.onopen = () => {
    state.retry = 0;
    setStatus('online', 'Connected');
    const name = state.wantName || state.name;
    const token = sessionStorage.getItem('grove.token');
    // A tab that logged in before logs in again with its token; the password itself is never kept. The token is
    // the tab's own (sessionStorage): a guest tab never turns into the account another tab logged in to.
    if (token && !state.wantName) send({ type: 'hello', token });
    else if (name) send({ type: 'hello', name });
  };
  ws.onmessage = e => { try { handle(JSON.parse(e.data)); } catch (err) { console.error(err); } };
  ws.onclose = () => {
    const was = state.registered;
    state.registered = false;
    if (state.leaving) { setStatus('offline', 'Disconnected'); return; }
    const delay = Math.min(10, 2 ** state.retry++);
    setStatus('reconnecting', `Connection lost — reconnecting in ${delay} s…`);
    if (was) system(`Connection lost. Reconnecting in ${delay} s…`);
    setTimeout(connect, delay * 1000);
  };
}

function send(obj) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) { state.ws.send(JSON.stringify(obj)); return true; }
  return false;
}

function setStatus(kind, text) { const s = $('status'); s.className = 'status ' + kind; s.textContent = text; }

// ---- views --------------------------------------------------------------------------------------------------------

function view(key) {
  let v = state.views.get(key);
  if (!v) {
    v = { key, title: key.startsWith('@') ? key.slice(1) : key, topic: '', members: new Map(), messages: [], unread: 0, oldest: null, complete: false, ids: new Set() };
    state.views.set(key, v);
  }
  return v;
}

function keyOf(name) { return name.startsWith('#') ? name.toLowerCase() : '@' + name.toLowerCase(); }

function show(key) {
  state.current = key;
  const v = view(key);
  v.unread = 0;
  $('view-title').textContent = v.title;
  $('view-topic').textContent = v.topic || '';
  renderMessages(true);
  renderLists();
  renderMembers();
  closePanes();
  $('input').focus();
}

function add(key, item, { history = false, prepend = false } = {}) {
  const v = view(key);
  if (item.id && v.ids.has(item.id)) return;
  if (item.id) { v.ids.add(item.id); if (v.oldest === null || item.id < v.oldest) v.oldest = item.id; }
  if (prepend) v.messages.unshift(item); else v.messages.push(item);
  if (key === state.current) {
    if (prepend) return;
    const box = $('messages');
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    box.append(element(item));
    if (atBottom) box.scrollTop = box.scrollHeight;
  } else if (!history && item.cls !== 'system') {
    v.unread++;
    renderLists();
  }
}

function system(text, cls = 'system') { if (state.current) add(state.current, { cls, text }); }

// ---- rendering ----------------------------------------------------------------------------------------------------

const linkPattern = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;

/** Text with http(s) links made clickable; nothing else is interpreted. */
function linkify(text) {
  const frag = document.createDocumentFragment();
  let last = 0;
  for (const m of text.matchAll(linkPattern)) {
    if (m.index > last) frag.append(document.createTextNode(text.slice(last, m.index)));
    const a = document.createElement('a');
    a.href = m[0]; a.textContent = m[0]; a.target = '_blank'; a.rel = 'noopener noreferrer';
    frag.append(a);
    last = m.index + m[0].length;
  }
  if (last < text.length) frag.append(document.createTextNode(text.slice(last)));
  return frag;
}

function element(item) {
  const div = document.createElement('div');
  div.className = 'msg ' + (item.cls || '');
  if (item.id) div.dataset.id = item.id;
  if (item.time) {
    const t = document.createElement('span');
    t.className = 'time';
    const d = new Date(item.time);
    t.textContent = (d.toDateString() === new Date().toDateString() ? '' : d.toLocaleDateString() + ' ') + d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    div.append(t);
  }
  if (item.from) {
    const f = document.createElement('span');
    f.className = 'from';
    f.textContent = item.kind === 'action' ? '* ' + item.from : item.from + (item.kind === 'notice' ? ' (notice)' : '') + ':';
    div.append(f);
  }
  div.append(linkify(item.text));
  return div;
}

function renderMessages(scrollToEnd) {
  const box = $('messages');
  const v = view(state.current);
  const nodes = v.messages.map(element);
  if (!v.complete && state.current.startsWith('#')) {
    const older = document.createElement('div');
    older.className = 'older';
    older.textContent = 'Scroll up (or click here) for older messages';
    older.onclick = loadOlder;
    nodes.unshift(older);
  }
  box.replaceChildren(...nodes);
  if (scrollToEnd) box.scrollTop = box.scrollHeight;
}

function renderLists() {
  const item = (key, label) => {
    const li = document.createElement('li');
    li.dataset.key = key;
    if (key === state.current) li.classList.add('active');
    const name = document.createElement('span');
    name.textContent = label;
    li.append(name);
    const v = view(key);
    if (v.unread > 0) {
      const b = document.createElement('span');
      b.className = 'badge';
      b.textContent = v.unread;
      li.append(b);
    }
    li.onclick = () => show(key);
    return li;
  };
  $('rooms').replaceChildren(...[...state.rooms].sort().map(k => item(k, view(k).title)));
  $('privates').replaceChildren(...[...state.views.keys()].filter(k => k.startsWith('@')).sort().map(k => item(k, view(k).title)));
}

function renderMembers() {
  const v = state.current ? view(state.current) : null;
  const items = v ? [...v.members.values()].sort((a, b) => a.name.localeCompare(b.name)) : [];
  $('members').replaceChildren(...items.map(m => {
    const li = document.createElement('li');
    const span = document.createElement('span');
    span.textContent = m.name;
    span.className = (m.op ? 'op' : m.voice ? 'voice' : '') + (m.away ? ' away' : '');
    if (m.away) span.title = 'away: ' + m.away;
    li.append(span);
    li.onclick = () => {
      if (m.name.toLowerCase() === (state.name || '').toLowerCase()) { closePanes(); return; }
      view(keyOf(m.name)).title = m.name;
      show(keyOf(m.name));
    };
    return li;
  }));
  if (v && v.count > items.length) {
    const li = document.createElement('li');
    li.className = 'more';
    li.textContent = `and ${v.count - items.length} more`;
    $('members').append(li);
  }
}

// ---- protocol -----------------------------------------------------------------------------------------------------

function message(m, history) {
  if (m.type === 'private') {
    const other = m.from.toLowerCase() === (state.name || '').toLowerCase() ? m.to : m.from;
    const key = keyOf(other);
    view(key).title = other;
    add(key, { id: m.id, time: m.time, from: m.from, text: m.text, kind: m.kind, cls: 'private' + (history || m.history ? ' history' : '') }, { history: history || m.history });
    renderLists();
    return;
  }
  const mine = m.from.toLowerCase() === (state.name || '').toLowerCase();
  add(keyOf(m.room), { id: m.id, time: m.time, from: m.from, text: m.text, kind: m.kind, cls: (mine ? 'self ' : '') + (history || m.history ? 'history' : '') }, { history: history || m.history });
}

function leftRoom(room) {
  state.rooms.delete(keyOf(room));
  view(keyOf(room)).members = new Map();
  if (state.current === keyOf(room)) { const next = [...state.rooms][0]; if (next) show(next); }
  renderLists();
}

function memberEvent(room, name, update) {
  const v = view(keyOf(room));
  update(v, name.toLowerCase());
  if (state.current === keyOf(room)) renderMembers();
}

function handle(m) {
  switch (m.type) {
    case 'welcome': {
      const reconnect = state.name && state.views.size > 0;
      state.registered = true;
      state.name = m.name;
      state.wantName = null;
      sessionStorage.setItem('grove.name', m.name);
      $('login').hidden = true;
      $('app').hidden = false;
      $('name-error').textContent = '';
      if (reconnect) {
        system('Reconnected.');
        for (const r of state.rooms) if (r !== keyOf(m.room)) send({ type: 'join', room: view(r).title });
      }
      break;
    }
    case 'joined': {
      const key = keyOf(m.room);
      state.rooms.add(key);
      const v = view(key);
      v.title = m.room;
      v.topic = m.topic || '';
      v.members = new Map(m.members.map(x => [x.name.toLowerCase(), x]));
      v.count = m.partial ? m.count : null; // a large room lists its first names and how many there are
      if (!state.current || !state.rooms.has(state.current) && !state.current.startsWith('@') || state.pendingShow === key) { state.pendingShow = null; show(key); }
      else renderLists();
      if (state.loginNotice) { system(state.loginNotice); state.loginNotice = null; }
      break;
    }
    case 'history':
      if (m.older) {
        const key = keyOf(m.target);
        const v = view(key);
        const box = $('messages');
        const before = box.scrollHeight - box.scrollTop;
        for (const x of [...m.messages].reverse()) {
          if (x.id && v.ids.has(x.id)) continue;
          v.ids.add(x.id);
          if (v.oldest === null || x.id < v.oldest) v.oldest = x.id;
          v.messages.unshift({ id: x.id, time: x.time, from: x.from, text: x.text, kind: x.kind, cls: 'history' + (x.type === 'private' ? ' private' : '') });
        }
        v.complete = m.complete;
        v.loading = false;
        if (key === state.current) { renderMessages(false); box.scrollTop = box.scrollHeight - before; }
      } else {
        for (const x of m.messages) message(x, true);
        if (m.onJoin && state.current) renderMessages(true);
      }
      break;
    case 'message': case 'private': message(m, false); break;
    case 'join': memberEvent(m.room, m.name, (v, k) => { v.members.set(k, { name: m.name }); add(keyOf(m.room), { cls: 'system', text: `${m.name} joined ${m.room}` }, { history: true }); }); break;
    case 'part': memberEvent(m.room, m.name, (v, k) => { v.members.delete(k); add(keyOf(m.room), { cls: 'system', text: `${m.name} left ${m.room} (${m.reason})` }, { history: true }); }); break;
    case 'kick':
      if (m.name.toLowerCase() === (state.name || '').toLowerCase()) {
        // Out of the room: the view moves on, as after /part, and says why where you now are.
        leftRoom(m.room);
        system(`You were kicked from ${m.room} by ${m.by} (${m.reason})`, 'error');
        break;
      }
      memberEvent(m.room, m.name, (v, k) => { v.members.delete(k); add(keyOf(m.room), { cls: 'system', text: `${m.name} was kicked by ${m.by} (${m.reason})` }, { history: true }); });
      break;
    case 'parted': leftRoom(m.room); break;
    case 'quit':
      for (const v of state.views.values()) {
        if (v.members.delete(m.name.toLowerCase())) add(v.key, { cls: 'system', text: `${m.name} left (${m.reason})` }, { history: true });
      }
      renderMembers();
      break;
    case 'nick': {
      if (m.self) { state.name = m.new; sessionStorage.setItem('grove.name', m.new); system(`You are now known as ${m.new}`); }
      for (const v of state.views.values()) {
        const old = v.members.get(m.old.toLowerCase());
        if (old) { v.members.delete(m.old.toLowerCase()); v.members.set(m.new.toLowerCase(), { ...old, name: m.new }); add(v.key, { cls: 'system', text: `${m.old} is now known as ${m.new}` }, { history: true }); }
      }
      renderMembers();
      break;
    }
    case 'topic': {
      const v = view(keyOf(m.room));
      v.topic = m.topic || '';
      if (m.by && m.topic !== undefined) add(keyOf(m.room), { cls: 'system', text: `${m.by} set the topic: ${m.topic}` }, { history: true });
      if (state.current === keyOf(m.room)) $('view-topic').textContent = v.topic;
      break;
    }
    case 'presence':
      for (const v of state.views.values()) { const x = v.members.get(m.name.toLowerCase()); if (x) x.away = m.away || null; }
      renderMembers();
      break;
    case 'mode': add(keyOf(m.room), { cls: 'system', text: `${m.by} sets mode ${m.changes} ${m.args.join(' ')}` }); break;
    case 'invite': system(`${m.by} invites you to ${m.room}. Type /join ${m.room}`); break;
    case 'notice': system(m.text, 'notice'); break;
    case 'rooms': system(m.rooms.map(r => `${r.name} (${r.members})${r.topic ? ': ' + r.topic : ''}`).join('\n') || 'No rooms.', 'notice'); break;
    case 'goodbye':
      state.leaving = true;
      system(m.text);
      if (state.loggingOut) location.reload(); // back to the login form
      break;
    case 'token': sessionStorage.setItem('grove.token', m.token); break;
    case 'password': askPassword(m.name); break;
    case 'loggedin':
      state.account = m.account;
      // Before the first room is shown there is nowhere to say it yet: it waits for the join.
      if (state.current) system(m.text); else state.loginNotice = m.text;
      break;
    case 'error':
      if (m.code === 'login_failed' || m.code === 'too_many_attempts') sessionStorage.removeItem('grove.token');
      if (!state.registered) {
        state.loginError = m.code;
        $('name-error').textContent = m.text;
        $('name-error').classList.remove('ask');
        $('login').hidden = false;
        $('app').hidden = true;
        if (m.code === 'name_registered') askPassword(m.subject || $('name').value.trim());
        else $('name').focus();
      } else system(m.text, 'error');
      break;
  }
}

// The name is an account (the server says so with "password", or a name_registered error): its password would let
// this person in, so the form asks for it instead of only saying the name is taken.
function askPassword(name) {
  const said = $('name-error');
  // One line that asks for the password in the form: "already taken" would contradict it, and "/login" is typed on
  // the other doors, not here. Any other server line that asks for the password stays as it is.
  const text = said.textContent;
  if (state.loginError === 'name_in_use') said.textContent = `${name} is online with this account: type its password to join them, or choose another name.`;
  else if (text.includes('/login') || !/password/i.test(text)) said.textContent = `The name "${name}" is registered: type its password to log in, or choose another name.`;
  said.classList.add('ask');
  $('password').placeholder = `password for ${name}`;
  $('password').classList.add('wanted');
  $('password').focus();
}

// ---- input --------------------------------------------------------------------------------------------------------

$('login-form').onsubmit = e => {
  e.preventDefault();
  const name = $('name').value.trim();
  $('name-error').classList.remove('ask');
  if (!name) { $('name-error').textContent = 'Type a name first.'; return; }
  state.wantName = name;
  $('name-error').textContent = '';
  const password = $('password').value;
  $('password').value = '';
  const hello = password ? { type: 'hello', name, password } : { type: 'hello', name };
  if (!send(hello)) $('name-error').textContent = 'Not connected yet; trying again…';
};

$('send-form').onsubmit = e => {
  e.preventDefault();
  const input = $('input');
  const text = input.value;
  if (!text.trim()) return;
  const key = state.current;
  let ok;
  if (/^\/logout\s*$/i.test(text)) {
    // Logging out: the server ends this browser's token, and the browser forgets it and the name.
    send({ type: 'logout', token: sessionStorage.getItem('grove.token') || undefined });
    sessionStorage.removeItem('grove.token');
    sessionStorage.removeItem('grove.name');
    state.loggingOut = true;
    input.value = '';
    return;
  }
  if (text.startsWith('/') && !text.startsWith('//')) {
    const join = text.match(/^\/join\s+(#\S+)/i);
    if (join) state.pendingShow = keyOf(join[1]);
    ok = send({ type: 'command', text, room: key && key.startsWith('#') ? view(key).title : undefined });
  } else {
    const body = text.startsWith('//') ? text.slice(1) : text;
    ok = key && key.startsWith('@') ? send({ type: 'msg', to: view(key).title, text: body }) : send({ type: 'say', room: view(key).title, text: body });
  }
  if (ok) input.value = ''; else system('Not connected: the message was not sent.', 'error');
};

$('join-form').onsubmit = e => {
  e.preventDefault();
  let room = $('join-room').value.trim();
  if (!room) return;
  if (!room.startsWith('#')) room = '#' + room;
  state.pendingShow = keyOf(room);
  send({ type: 'join', room });
  $('join-room').value = '';
};

function loadOlder() {
  const v = state.current && view(state.current);
  if (!v || v.complete || v.loading || !state.current.startsWith('#')) return;
  v.loading = true;
  send({ type: 'history', target: v.title, before: v.oldest || undefined, limit: 50 });
}

$('messages').addEventListener('scroll', () => { if ($('messages').scrollTop <= 30) loadOlder(); });

// On a narrow screen the rooms and the members are panes over the chat: their button, a tap outside (the scrim),
// Escape or a choice in them closes them again.
function closePanes() {
  for (const [pane, button] of [['sidebar', 'menu'], ['members-pane', 'people']]) {
    $(pane).classList.remove('open');
    $(button).setAttribute('aria-expanded', 'false');
  }
  $('scrim').classList.remove('open');
}

function togglePane(pane, button) {
  const open = !$(pane).classList.contains('open');
  closePanes();
  if (!open) return;
  $(pane).classList.add('open');
  $(button).setAttribute('aria-expanded', 'true');
  $('scrim').classList.add('open');
}

$('menu').onclick = () => togglePane('sidebar', 'menu');
$('people').onclick = () => togglePane('members-pane', 'people');
$('scrim').onclick = closePanes;
document.addEventListener('keydown', e => { if (e.key === 'Escape') closePanes(); });
$('password').oninput = () => $('password').classList.remove('wanted');
$('name').oninput = () => { $('password').classList.remove('wanted'); $('password').placeholder = 'password (registered names only)'; };
// Tokens used to be kept in localStorage, shared by every tab: forget any such token.
localStorage.removeItem('grove.token');
if (state.name) $('name').value = state.name;
connect();
