// The peer of bench/events.ts: the least a server can do with the same requests. Fastify parses
// the JSON and better-sqlite3 (WAL, synchronous FULL, like Mailroom) inserts each event and one
// activity row per affected user and actor in one transaction per request, with prepared
// statements: no validation, no users, no preferences, no idempotency. env: PORT, DATA_DIR.
import Fastify from 'fastify';
import BetterSqlite3 from 'better-sqlite3';

const db = new BetterSqlite3(`${process.env.DATA_DIR}/bare.sqlite`);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`create table events (id integer primary key, event_key text not null unique, type text not null, actor text, object_type text not null, object_id text not null, object_name text not null, link text, created_at integer not null);
create table activities (id integer primary key, uid text not null, event_id integer not null, type text not null, actor text, own integer not null, object_type text not null, object_name text not null, link text, stream integer not null, mail_state text not null, created_at integer not null);`);
const insertEvent = db.prepare('insert into events (event_key, type, actor, object_type, object_id, object_name, link, created_at) values (?, ?, ?, ?, ?, ?, ?, ?)');
const insertActivity = db.prepare('insert into activities (uid, event_id, type, actor, own, object_type, object_name, link, stream, mail_state, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)');
let counter = 0;
const ingest = db.transaction((events) => {
  const now = Date.now();
  for (const e of events) {
    const id = insertEvent.run(e.id ?? `auto:${++counter}`, e.type, e.actor ?? null, e.object.type, String(e.object.id), e.object.name, e.link ?? null, now).lastInsertRowid;
    for (const uid of new Set([...e.affected, ...(e.actor ? [e.actor] : [])])) {
      insertActivity.run(uid, id, e.type, e.actor ?? null, uid === e.actor ? 1 : 0, e.object.type, e.object.name, e.link ?? null, uid === e.actor ? 'none' : 'pending', now);
    }
  }
});

const app = Fastify({ bodyLimit: 1024 * 1024 });
app.post('/api/v1/events', async (request, reply) => {
  const events = request.body.events;
  ingest(events);
  return reply.status(202).send({ ids: events.map((e) => e.id) });
});
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
