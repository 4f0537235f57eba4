// The section of BENCHMARKS.md that `npm run bench:sinks` (bench/sinks.ts) writes above its runs.
export const SINKS_DESCRIPTION = `## sinks: \`npm run bench:sinks\`

\`SinkRuntime\` with the Redis sink and with the MongoDB sink (FerretDB), each alone in a child
process (\`bench/sink-worker.ts\`, a fresh consumer group reading from the beginning), and the whole
pipeline from PostgreSQL to Redis. Everything in the namespace \`bench_sinks\`, removed before and after.

- **events/s into a sink**: \`BENCH_SINK_EVENTS\` patient change events produced beforehand into a
  fresh 3-partition topic as the PostgreSQL source writes them (its key and envelope schemas, its
  version and \`traceparent\` headers), in transactions of 1 to 4 changes: the first change of a row
  an insert, later ones updates, over about 20000 rows. Events / time from the start of the sink's
  first write to the end of the write that brings its outcomes (written + stale) to the count.
  Redis gets that stream. FerretDB 1.24 (SQLite) reads every document of a collection for each
  update of an existing document (and for each batch's find by \`_id\`), so that stream stalls it;
  the MongoDB sink is measured on an initial load instead, \`BENCH_MONGO_ROWS\` (20000) inserts of
  distinct rows, then on \`BENCH_MONGO_UPDATES\` (20) updates of rows spread over the loaded ones.
- **p50/p99 PostgreSQL-to-Redis latency**: single-row transactions paced at 5000/s by 16
  connections with \`synchronous_commit=on\` for \`BENCH_STEADY_SECONDS\` (20) after a 3 s warm-up
  that is not counted (its worst latency is listed), captured by the real source
  (\`bench/source-worker.ts\`, its own process) and written by the Redis sink worker; per event, the
  end of the sink's write minus the row's commit time (\`source.ts_ms\`). Same host, same clock.
  When the writers cannot reach the rate, the row says so and the target is not judged.

- **webhook sink against a plain HTTP client**: \`BENCH_WEBHOOK_EVENTS\` (60000) inserts of distinct
  rows through the webhook sink (one signed CloudEvent per request, 8 in flight) into a local
  receiver that answers 204 (\`bench/webhook-receiver.ts\`, in the benchmark's process); then a
  plain client in its own process (\`bench/webhook-raw-worker.ts\`, undici's \`request\`, the sink's
  own HTTP client) posts the very requests the sink made to the same receiver, 8 at a time. The
  ratio of their events/s is the sink's cost (Kafka, decoding, JSON, signing, the runtime) over
  the HTTP exchange itself. \`BENCH_WEBHOOK_ROUNDS\` (5) rounds of both, each sink run a fresh
  consumer group; the round of median ratio is reported, every round in the notes (the speed of
  these shared machines drifts by a fifth between runs).

  What the webhook figures changed (2026-12-03, 20000-event runs unless said): fetch cost more
  than twice the CPU of undici's \`request\` per exchange (a plain fetch client posting the sink's
  requests: 4634/s, a plain \`request\` client: 10690/s, same receiver), so HTTP targets use
  \`request\`; written inside kafkajs' batch handler, the sink left the receiver idle while kafkajs
  fetched and decoded the next batches (about 100 ms in every 560 ms round of three 3000-event
  batches, a fifth of the time), so each partition's writes run in a lane of their own and the
  gaps are under 10 ms; avsc's unpacking of longs allocated 2.5 KB per event (9% of the sink's
  bytes), so longs are read in place. The ratio went from 0.11 (fetch, a 500/s default budget)
  to 0.59 (fetch, unlimited), and is now between 0.54 and 0.71 (the median round of each run
  that day): the sink spends about 40 µs of CPU per event beyond the plain client's 50-60 µs per
  request (Kafka fetch and decoding, JSON, signing, delivery in key order), on the same two
  cores as the receiver and the broker.

  Tried next (2026-12-03, 60000-event runs, 5 rounds): the whole machine is about 90% busy in
  both halves of a round (\`machine busy\` in the notes), the sink, the receiver and the broker
  sharing two cores, so the ratio is one of CPU per event over every process rather than of one
  thread's speed. The HTTP exchanges on a worker thread of their own (rendering and signing on
  the main thread) left the main thread 30-36% busy and the delivery thread about 70%, and the
  ratio where it was (0.57 to 0.82 a round, median 0.67), so that design was not kept. Neither
  were a larger young generation (\`--max-semi-space-size=64\` on both sides: both about 10%
  faster, the ratio unchanged) nor 256 KiB fetches (peak RSS 400 MB instead of 530 MB, the ratio
  within the drift); fewer objects per event on the sink's path were kept (no change beyond the
  drift). The sink's own part, measured by cutting the write short: reading and decoding alone
  (the write a no-op) ran at about 52000 events/s, with each body rendered and signed but not
  sent at about 30000/s, so about 33 µs per event is Kafka, Avro, JSON and signing, and the
  exchanges cost the sink's process about 150 µs per event against the plain client's 95-130 µs
  per request (delivery in key order, the memo of delivered ids, garbage collection of a batch's
  events held while it is written).

- **FHIR sink against a plain fetch loop**: \`BENCH_FHIR_EVENTS\` (3000) inserts of distinct patients
  through the FHIR sink (each row a Patient, 8 requests in flight) into the stack's HAPI FHIR
  server (H2); then a plain \`fetch\` loop in its own process (\`bench/fhir-raw-worker.ts\`) makes
  the requests the sink makes for the same rows (a search per 50 identifiers, then one
  conditional update per resource, 8 at a time; or one transaction Bundle of 100), under an
  identifier system of its own so that both create as many resources. \`BENCH_FHIR_ROUNDS\` (3)
  rounds of both per write mode; the round of median ratio is reported.

  First run (2026-12-04): 278 resources/s by conditional update against the loop's 251 (ratio
  1.11), 237 by transaction Bundles against 185 (1.28). Above 1 because HAPI is CPU-bound on
  the same two cores (the machine 94-96% busy in both halves) and the plain \`fetch\` loop spends
  about 1.0 ms of CPU per resource against the sink's 0.6 ms (fetch costs about twice undici's
  \`request\`, above), which leaves the server less; the Bundle loop also sends its Bundles one
  after the other where the sink's three partitions overlap their searches with their writes.

- **Google Calendar and Notion sinks, at a quota and against a plain SDK loop**: each against the
  stack's emulator of its API (\`services/emulators\`), in two parts (\`bench/saas-phase.ts\`). At a
  quota: a fresh service account (Calendar) or integration (Notion) that the emulator limits to
  \`BENCH_CALENDAR_RATE\` / \`BENCH_NOTION_RATE\` (10) requests/s, with the emulator's default burst
  (10, as it plays the API; \`BENCH_*_BURST\` sets another), and the sink's \`requests\` at the same
  rate with its own default burst (\`BENCH_*_SINK_BURST\`); \`BENCH_*_QUOTA_EVENTS\` (300) inserts of
  distinct patients. The figure is events/s over the configured rate (the quota used, not wasted;
  a little above 1 since the window opens with a full bucket); the emulator's request log counts
  refusals for the rate (Calendar 403 or 429, Notion 429) and the most requests in one second.
  Then, the quota lifted on both sides, \`BENCH_*_EVENTS\` (2000) inserts through the sink into a
  calendar or data source of its own, and a plain SDK loop in its own process making the same
  calls for the same rows into another one, as many at once as the sink's \`concurrency\`
  (Calendar 4, Notion 3): \`@googleapis/calendar\` \`events.insert\` with the sink's ids and bodies
  (read back from the sink's calendar beforehand), google-auth-library's JWT with the token
  request sent to the key's \`token_uri\` as the sink sends it (\`bench/calendar-raw-worker.ts\`);
  \`@notionhq/client\`, per chunk of the sink's batch size one \`dataSources.query\` with an \`or\` of
  key filters per 100 keys and one \`pages.create\` per row with the sink's properties
  (\`bench/notion-raw-worker.ts\`). Each loop runs over the sink's own HTTP stack (Node's fetch for
  Calendar, as the sink hands gaxios; undici's \`request\` for Notion, the sink's \`HttpTarget\`),
  since the SDKs' defaults (node-fetch, fetch) cost more CPU per exchange and would flatter the
  sink. \`BENCH_*_ROUNDS\` (3) rounds of both, the round of median ratio reported.

  Checked on 2026-12-04 (\`BENCH_PHASES=f,g\`): with the emulator's burst equal to the sink's (the
  same token bucket at both ends, no margin), the Calendar sink was refused on every burst (a
  request reaching the emulator a millisecond closer to the one before than it left finds 0.99
  of a token) and each refusal cost it about a second (the whole budget pauses, the batch is
  retried): 4 events/s at 10/s on 60 inserts, and 300 inserts stalled; one token of margin (the
  sink's burst 4 against 5) gave 10.4/s and no refusal. Since then the budget comes out of a
  pause empty (services/sinks/src/http/request-budget.ts): with equal buckets, 300 inserts ran at
  0.98 of the quota with one refusal. With Google's own client on its default
  transport (node-fetch) the plain Calendar loop was about a fifth slower than on the sink's
  fetch (ratio about 1.05 instead of 0.85).

Targets (issue): >= 50000 events/s into Redis, >= 20000 events/s into MongoDB, p99 < 500 ms,
webhook sink >= 0.7 of the plain client, FHIR sink >= 0.7 of the plain fetch loop (conditional
updates), Google Calendar and Notion sinks >= 0.9 of the quota and >= 0.7 of the plain SDK loop.
The latest figures are also in \`bench/results/sinks.json\`.`;
