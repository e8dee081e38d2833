'use strict';
// The load bench's comparison peer: the call that scripts/bench-load measures,
// written as a plain Stasis app on the official `ari-client` package.
//
//   caller enters Stasis(bench-peer,122) → answer → play greeting + menu →
//   first digit: stop the playback, originate the staff phone into this app
//   (callerId = the citizen's number) → staff answers (StasisStart) → mixing
//   bridge with both → either side leaves: hang up the other, destroy the bridge.
//   Busy / unanswered staff, an unknown digit or no digit within 5 s after
//   the menu: hang up the caller.
//
// Every REST request has a timeout (a request whose socket fails is never
// settled by ari-client's HTTP layer), hang-ups and bridge destruction are
// retried, and a 404 on them means "already gone". Nothing may be left
// behind in Asterisk, whatever the load.

const http = require('http');
const https = require('https');
const ari = require('ari-client');

// ------------------------------------------------------------------ config

// Which sounds a line plays and which digit rings whom: the same as the
// baseline context `hotline-dialplan-only` in asterisk-dialplan/extensions.conf.
const LINES = {
  122: {
    sounds: ['hotline/greeting-122', 'hotline/menu-122'],
    // PEER_STAFF_ENDPOINT: scripts/bench-concurrency's long calls ring staff-long.
    digits: { 1: process.env.PEER_STAFF_ENDPOINT || 'PJSIP/staff01' },
  },
};

const ARI_URL = process.env.ARI_URL || 'http://127.0.0.1:8088'; // http.conf
const ARI_USER = process.env.ARI_USER || 'hotline'; // ari.conf
const ARI_PASSWORD = process.env.ARI_PASSWORD || 'hotline';
const ARI_APP = process.env.ARI_APP || 'bench-peer'; // Stasis(bench-peer,…)
// Keep-alive connections to ARI at most; below http.conf `sessionlimit`
// (1000): past it Asterisk refuses requests and calls get stuck.
const MAX_SOCKETS = Number(process.env.ARI_MAX_SOCKETS || 200);
const REQUEST_TIMEOUT_MS = Number(process.env.ARI_REQUEST_TIMEOUT_MS || 10000);
const DIGIT_TIMEOUT_MS = 5000; // after the menu, as Read(…,5) in the baseline
const STAFF_RING_SECONDS = 20; // as Dial(…,20) in the baseline
const STATS_SECONDS = Number(process.env.PEER_STATS_SECONDS || 10); // 0: only at exit

http.globalAgent.maxSockets = MAX_SOCKETS;
https.globalAgent.maxSockets = MAX_SOCKETS;

// ------------------------------------------------------------------ state

const calls = new Map(); // caller channel id → call
const legs = new Map(); // staff channel id → call
const stats = { calls: 0, bridged: 0, unbridged: 0, errors: 0 };
let client = null;
let shuttingDown = false;

function log(message) {
  console.log(`bench-peer: ${message}`);
}

// Unexpected errors: the first few are printed, all are counted.
function logError(what, err) {
  stats.errors += 1;
  if (stats.errors <= 20) {
    log(`error: ${what}: ${(err && err.message) || err}`);
  }
}

// ARI answered 404 (or "not in Stasis"): the resource is already gone.
function isGone(err) {
  return /not found|not in stasis/i.test((err && err.message) || '');
}

// One REST request with a deadline.
function request(promise) {
  return promise.timeout(REQUEST_TIMEOUT_MS);
}

// Hang-up and destroy: retried on failure (overload, a reset keep-alive
// connection); "already gone" counts as done.
async function removeWithRetry(what, attempt) {
  for (let i = 1; i <= 3; i += 1) {
    try {
      await request(attempt());
      return;
    } catch (err) {
      if (isGone(err)) return;
      if (i === 3) {
        logError(what, err);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 200 * i));
    }
  }
}

function hangup(channelId) {
  return removeWithRetry(`hangup ${channelId}`, () =>
    client.channels.hangup({ channelId }));
}

function destroyBridge(bridgeId) {
  return removeWithRetry(`destroy bridge ${bridgeId}`, () =>
    client.bridges.destroy({ bridgeId }));
}

// ------------------------------------------------------------------ a call

function startCall(channel, line) {
  const call = {
    caller: channel,
    config: LINES[line],
    playback: null,
    digitTimer: null,
    digit: null,
    staff: null, // Channel, set when the originate is sent
    bridge: null, // Bridge, set when the create is sent
    callerGone: false,
    staffGone: false,
    bridged: false,
    ended: false,
  };
  calls.set(channel.id, call);
  stats.calls += 1;

  if (!call.config || shuttingDown) {
    endCall(call);
    return;
  }
  const playback = client.Playback();
  call.playback = playback;
  request(channel.answer())
    .then(() => request(channel.play(
      { media: call.config.sounds.map((s) => `sound:${s}`) }, playback)))
    .catch((err) => {
      if (!call.ended && !isGone(err)) logError('answer/play', err);
      endCall(call);
    });
}

// The menu finished without a digit: wait for one, then give up.
function onMenuFinished(call) {
  if (call.ended || call.digit !== null) return;
  call.digitTimer = setTimeout(() => endCall(call), DIGIT_TIMEOUT_MS);
}

function onDigit(call, digit) {
  if (call.ended || call.digit !== null) return; // only the first digit counts
  call.digit = digit;
  clearTimeout(call.digitTimer);
  request(client.playbacks.stop({ playbackId: call.playback.id })).catch((err) => {
    if (!isGone(err)) logError('stop playback', err); // 404: it had finished
  });

  const endpoint = call.config.digits[digit];
  if (!endpoint) {
    endCall(call);
    return;
  }
  const staff = client.Channel(); // id chosen here: events may beat the response
  call.staff = staff;
  legs.set(staff.id, call);
  request(staff.originate({
    endpoint,
    app: ARI_APP,
    appArgs: 'staff',
    callerId: call.caller.caller.number,
    timeout: STAFF_RING_SECONDS,
  }))
    .then(() => {
      // The caller left while the originate was on its way.
      if (call.ended && !call.staffGone) hangup(staff.id);
    })
    .catch((err) => {
      if (!isGone(err)) logError('originate', err);
      // A timed-out request may still have created the leg: hang it up too.
      call.staffGone = isGone(err);
      endCall(call);
    });
}

// The staff phone answered: bridge it with the caller.
function onStaffAnswered(call) {
  if (call.ended) return;
  const bridge = client.Bridge();
  call.bridge = bridge;
  request(bridge.create({ type: 'mixing' }))
    .then(() => {
      if (call.ended) return destroyBridge(bridge.id);
      return request(bridge.addChannel({ channel: [call.caller.id, call.staff.id] }))
        .then(() => {
          if (call.ended) return;
          call.bridged = true;
        });
    })
    .catch((err) => {
      if (!call.ended && !isGone(err)) logError('bridge', err);
      endCall(call);
    });
}

// One side left, the digit never came, or something failed: end everything
// of the call that is still there. Safe to call more than once.
function endCall(call) {
  if (call.ended) return Promise.resolve();
  call.ended = true;
  clearTimeout(call.digitTimer);
  calls.delete(call.caller.id);
  if (call.staff) legs.delete(call.staff.id);
  if (call.bridged) stats.bridged += 1;
  else stats.unbridged += 1;

  const work = [];
  if (!call.callerGone) work.push(hangup(call.caller.id));
  if (call.staff && !call.staffGone) work.push(hangup(call.staff.id));
  if (call.bridge) work.push(destroyBridge(call.bridge.id));
  return Promise.all(work);
}

// ------------------------------------------------------------------ events

function onStasisStart(event, channel) {
  if (event.args[0] === 'staff') {
    const call = legs.get(channel.id);
    if (call && !call.ended) onStaffAnswered(call);
    else hangup(channel.id); // its call ended while it rang
    return;
  }
  startCall(channel, event.args[0]);
}

// A channel left the app or vanished: that side is gone, end the call.
function onChannelLeft(event, channel) {
  const asCaller = calls.get(channel.id);
  if (asCaller) {
    asCaller.callerGone = true;
    endCall(asCaller);
    return;
  }
  const asStaff = legs.get(channel.id);
  if (asStaff) {
    asStaff.staffGone = true;
    endCall(asStaff);
  }
}

function onDtmf(event, channel) {
  const call = calls.get(channel.id);
  if (call) onDigit(call, event.digit);
}

function onPlaybackFinished(event, playback) {
  const call = calls.get(playback.target_uri.replace(/^channel:/, ''));
  if (call && call.playback && call.playback.id === playback.id) onMenuFinished(call);
}

// After a reconnection: events of the gap are lost. End the calls whose
// caller is no longer ours, hang up channels of the app that no call owns.
async function resync() {
  let app;
  try {
    app = await request(client.applications.get({ applicationName: ARI_APP }));
  } catch (err) {
    logError('resync', err);
    return;
  }
  const present = new Set(app.channel_ids);
  for (const call of [...calls.values()]) {
    if (!present.has(call.caller.id)) {
      call.callerGone = true;
      endCall(call);
    }
  }
  for (const id of present) {
    if (!calls.has(id) && !legs.has(id)) hangup(id);
  }
}

// ------------------------------------------------------------------ main

function printStats(prefix) {
  log(`${prefix}calls ${stats.calls}, bridged ${stats.bridged}, ended unbridged `
    + `${stats.unbridged}, active ${calls.size}, errors ${stats.errors}`);
}

async function shutdown() {
  if (shuttingDown) return;
  shuttingDown = true;
  // Calls still up are ended rather than left in Stasis without an app.
  const pending = [...calls.values()].map((call) => endCall(call));
  await Promise.race([
    Promise.all(pending),
    new Promise((resolve) => setTimeout(resolve, 3000)),
  ]);
  printStats('stopped: ');
  if (client) {
    // ari-client's stop() starts the close handshake; give it a moment
    // (it has no close event of its own) before exiting.
    client.stop();
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  process.exit(0);
}

async function main() {
  client = await ari.connect(ARI_URL, ARI_USER, ARI_PASSWORD);
  client.on('StasisStart', onStasisStart);
  client.on('StasisEnd', onChannelLeft);
  client.on('ChannelDestroyed', onChannelLeft);
  client.on('ChannelDtmfReceived', onDtmf);
  client.on('PlaybackFinished', onPlaybackFinished);

  let connections = 0;
  client.on('WebSocketConnected', () => {
    connections += 1;
    if (connections > 1) {
      log('reconnected');
      resync();
    }
  });
  client.on('WebSocketReconnecting', (err) => log(`reconnecting: ${(err && err.message) || 'closed'}`));
  client.on('WebSocketMaxRetries', () => {
    log('gave up reconnecting');
    process.exit(1);
  });

  await client.start(ARI_APP);
  log(`connected to ${ARI_URL} as app ${ARI_APP}`);

  if (STATS_SECONDS > 0) {
    let last = '';
    setInterval(() => {
      const now = JSON.stringify(stats);
      if (now !== last) {
        last = now;
        printStats('');
      }
    }, STATS_SECONDS * 1000).unref();
  }
}

process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.on('unhandledRejection', (err) => logError('unhandled rejection', err));

main().catch((err) => {
  log(`cannot start: ${(err && err.message) || err}`);
  process.exit(1);
});
