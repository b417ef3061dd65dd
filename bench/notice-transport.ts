// Classic against sharded pub/sub on a 3-master Redis Cluster, trial by trial in turn, so that both
// meet the same machine load (issue 24 #10). Ten subscriber connections (one per node of a fleet)
// listen on both channels, which share one hash tag; a trial publishes from a command connection and
// times until all ten have heard it: PUBLISH (forwarded to every master over the cluster bus, each
// subscriber on a master of its own choosing) against SPUBLISH (delivered by the shard that owns the
// slot, where node-redis puts every SSUBSCRIBE).
//
//   npm run bench:notices -- [--trials 500] [--subscribers 10] [--no-write]
import { parseArgs } from 'node:util';
import { createCluster, type RedisClusterType } from 'redis';
import type { Cleanup } from '../test/cluster/nodes.js';
import { redisCluster } from '../test/redis-topologies.js';
import { fmt, load, percentile, provenance, writeSection } from './lib/report.js';

const { values } = parseArgs({ options: { trials: { type: 'string', default: '500' }, subscribers: { type: 'string', default: '10' }, 'no-write': { type: 'boolean', default: false } } });
const TRIALS = Number(values.trials);
const SUBSCRIBERS = Number(values.subscribers);
const CLASSIC = '{sockjwt-bench}classic';
const SHARDED = '{sockjwt-bench}sharded';
const loadBefore = load();

const cleanups: Array<() => unknown> = [];
const cleanup: Cleanup = { after: ((fn: () => unknown) => void cleanups.push(fn)) as Cleanup['after'] };
const cluster = await redisCluster(cleanup);
const connect = async (i: number): Promise<RedisClusterType> => {
  const client = createCluster({ rootNodes: [{ url: cluster.urls[i % cluster.urls.length]! }] }) as unknown as RedisClusterType;
  client.on('error', () => {});
  await client.connect();
  cleanups.push(() => client.close());
  return client;
};

const now = () => performance.timeOrigin + performance.now();
let waiting: { channel: string; message: string; left: number; done: (at: number) => void } | undefined;
const hear = (channel: string) => (message: string) => {
  if (waiting?.channel !== channel || waiting.message !== message) return;
  if (--waiting.left === 0) waiting.done(now());
};
for (let i = 0; i < SUBSCRIBERS; i++) {
  const subscriber = await connect(i);
  await subscriber.subscribe(CLASSIC, hear(CLASSIC));
  await subscriber.sSubscribe(SHARDED, hear(SHARDED));
}
const publisher = await connect(0);

async function trial(channel: string, i: number): Promise<number> {
  const message = `${channel}:${i}`;
  const heard = new Promise<number>((done) => (waiting = { channel, message, left: SUBSCRIBERS, done }));
  const started = now();
  await (channel === SHARDED ? publisher.sPublish(channel, message) : publisher.publish(channel, message));
  return (await heard) - started;
}

const times: Record<string, number[]> = { [CLASSIC]: [], [SHARDED]: [] };
for (let i = 0; i < TRIALS; i++) for (const channel of i % 2 ? [CLASSIC, SHARDED] : [SHARDED, CLASSIC]) times[channel]!.push(await trial(channel, i));
for (const fn of cleanups.reverse()) await fn();

const ms = (x: number) => fmt(x, 2);
const row = (name: string, xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return `| ${name} | ${sorted.length} | ${ms(percentile(sorted, 50))} | ${ms(percentile(sorted, 99))} | ${ms(sorted.at(-1)!)} |`;
};
const body = `## Revocation notices: classic against sharded pub/sub on a Redis Cluster (issue 24)

${provenance('npm run bench:notices', loadBefore)}

A 3-master Redis Cluster started by the benchmark, ${SUBSCRIBERS} node-redis cluster subscribers listening on both channels (one hash tag),
one publisher; trials alternate between the two. Time from the publish until all ${SUBSCRIBERS} subscribers have the message.

| transport | trials | p50 (ms) | p99 (ms) | max (ms) |
|---|---:|---:|---:|---:|
${row('PUBLISH / SUBSCRIBE (classic)', times[CLASSIC]!)}
${row('SPUBLISH / SSUBSCRIBE (sharded)', times[SHARDED]!)}
`;
console.log(body);
if (!values['no-write']) writeSection('notice-transport', body);
process.exit(0);
