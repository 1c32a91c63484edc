// Baseline for the fan-out and idle benchmarks: a minimal broadcast server on
// npm `ws`, speaking the same frames as roomchat (shared/API.md §3) with
// none of its work: no accounts, no persistence, no presence.
//   node server.js --listen 127.0.0.1:0 --ready-file FILE
// Rooms are URL paths. hello -> welcome; send -> ack to the sender and
// message to the room's other greeted sockets. One process, one thread, like
// the single strand of a roomchat room.
'use strict';
const fs = require('fs');
const http = require('http');
const crypto = require('crypto');
const { WebSocketServer } = require('ws');

const MAX_FRAME_BYTES = 64 * 1024;

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const rooms = new Map(); // path -> { seq, sockets: Set<WebSocket> }
let nextConn = 0;

function roomOf(path) {
  let room = rooms.get(path);
  if (!room) rooms.set(path, (room = { seq: 0, sockets: new Set() }));
  return room;
}

function onFrame(ws, state, data) {
  let f;
  try {
    f = JSON.parse(data);
  } catch {
    return ws.send(JSON.stringify({ type: 'error', code: 'bad_frame', message: 'not JSON' }));
  }
  if (f.type === 'hello') {
    state.room.sockets.add(ws);
    return ws.send(JSON.stringify({
      type: 'welcome', connId: state.connId, messages: [], hasMore: false, presence: [],
      call: { participants: [] }, lastSeq: state.room.seq,
    }));
  }
  if (f.type === 'send' && state.room.sockets.has(ws)) {
    const message = {
      seq: ++state.room.seq, id: crypto.randomUUID(), roomId: state.path,
      author: { kind: 'user', userId: state.connId }, kind: 'text', text: f.text,
      createdAt: Date.now(), clientId: f.clientId,
    };
    ws.send(JSON.stringify({ type: 'ack', clientId: f.clientId, message }));
    // Serialized once, as roomchat does; sent as a text frame to every other socket.
    const frame = Buffer.from(JSON.stringify({ type: 'message', message }));
    for (const other of state.room.sockets)
      if (other !== ws && other.readyState === 1) other.send(frame, { binary: false });
    return;
  }
  if (f.type === 'ping') return ws.send('{"type":"pong"}');
  ws.send(JSON.stringify({ type: 'error', code: 'unknown_type', message: String(f.type) }));
}

const server = http.createServer((req, res) => {
  res.writeHead(req.url === '/healthz' ? 200 : 404, { 'content-type': 'application/json' });
  res.end('{}');
});
const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: MAX_FRAME_BYTES });

wss.on('connection', (ws, req) => {
  const path = req.url.split('?')[0];
  const state = { path, room: roomOf(path), connId: `n${nextConn++}` };
  ws.on('message', (data) => onFrame(ws, state, data));
  ws.on('close', () => state.room.sockets.delete(ws));
  ws.on('error', () => {});
});

const [host, port] = flag('listen', '127.0.0.1:0').split(':');
server.listen(Number(port), host, () => {
  const ready = flag('ready-file', '');
  if (ready) fs.writeFileSync(ready, String(server.address().port));
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
