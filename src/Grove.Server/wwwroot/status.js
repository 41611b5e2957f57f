// The operator's window onto the server, refreshed every second. Everything is inserted as text.
const $ = id => document.getElementById(id);
function row(cells) { const tr = document.createElement('tr'); for (const c of cells) { const td = document.createElement('td'); td.textContent = c; tr.append(td); } return tr; }
async function refresh() {
  try {
    const s = await (await fetch('/status.json', { cache: 'no-store' })).json();
    $('server').textContent = s.server;
    $('plain').textContent = s.connections.plain; $('irc').textContent = s.connections.irc; $('web').textContent = s.connections.web;
    $('rate').textContent = s.messagesPerSecond; $('messages').textContent = s.messagesIn; $('store').textContent = s.store;
    $('rooms').replaceChildren(...s.rooms.map(r => row([r.name, r.members, r.connections])));
    // One person, however many doors: their connections on the rows under their name.
    $('people').replaceChildren(...s.people.flatMap(p => p.connections.map((c, i) => row([i === 0 ? p.name : '', c.door, c.address, c.node ?? '']))));
    $('log').textContent = s.log.join('\n');
  } catch { $('store').textContent = 'unreachable'; }
}
refresh(); setInterval(refresh, 1000);
