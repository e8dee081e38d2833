#!/usr/bin/env bash
# tests/sandbox_smoke.sh — the sandbox Asterisk routes a call with no ARI app.
#
# With the hotline service NOT connected, a citizen (SIPp UAC, 127.0.0.1:5070)
# calls 122; Stasis() fails, the dialplan falls back to ringing the
# specialists, and spec01 (SIPp UAS, 127.0.0.1:5091) answers. Passes when:
#   * both SIPp sides report 1 successful call and 0 failed;
#   * Asterisk logged the fallback for this call (so it did not reach an app);
#   * Asterisk has 0 active channels afterwards.
#
#   tests/sandbox_smoke.sh        (as root; starts the sandbox if needed)
#
# Every wait is bounded; SIPp processes are killed on exit. Logs of a failed
# run are kept in the folder it prints.
set -euo pipefail

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SANDBOX=$REPO_DIR/scripts/sandbox
SCENARIOS=$REPO_DIR/tests/sipp
SANDBOX_DIR=${HOTLINE_SANDBOX_DIR:-/var/cache/hotline/asterisk-sid}
MESSAGES_LOG=$SANDBOX_DIR/rootfs/var/log/asterisk/messages.log
ASTERISK=127.0.0.1:5060
CALL_TIMEOUT=60   # seconds any SIPp instance may run

WORK=$(mktemp -d /tmp/hotline-smoke.XXXXXX)
SIPP_PIDS=()
PASSED=false

cleanup() {
    local pid
    for pid in "${SIPP_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    if $PASSED; then
        rm -rf "$WORK"
    else
        echo "smoke: logs kept in $WORK" >&2
    fi
}
trap cleanup EXIT

fail() { echo "smoke: FAIL: $*" >&2; exit 1; }
step() { echo "smoke: $*" >&2; }

# Successful and failed call counts from a SIPp final screen ("1 0").
sipp_counts() {
    awk -F'|' '/Successful call/ { s = $3 } /Failed call/ { f = $3 }
               END { gsub(/ /, "", s); gsub(/ /, "", f); print s, f }' "$1"
}

active_channels() {
    "$SANDBOX" cli 'core show channels count' | awk '/active channels/ { print $1 }'
}

# Wait (bounded) until a UDP port is bound: the UAS must listen before the call.
wait_udp_listen() {
    local port=$1 i
    for ((i = 0; i < 50; i++)); do
        ss -Hlnu "sport = :$port" | grep -q . && return 0
        sleep 0.1
    done
    fail "nothing listens on udp 127.0.0.1:$port"
}

command -v sipp >/dev/null || fail "sipp missing: scripts/sandbox install-host-deps"
"$SANDBOX" start

[[ $(active_channels) == 0 ]] || fail "sandbox has active channels before the test: $("$SANDBOX" cli 'core show channels')"
log_lines_before=$(wc -l <"$MESSAGES_LOG")
started=$SECONDS
cd "$WORK"

step "spec01 (SIPp UAS, answers) on 127.0.0.1:5091"
timeout "$CALL_TIMEOUT" sipp "$ASTERISK" -sf "$SCENARIOS/staff_uas_answer.xml" \
    -i 127.0.0.1 -p 5091 -mp 30100 -m 1 -set ring_ms 300 \
    -nostdin -trace_screen -screen_file "$WORK/spec01.screen" \
    >"$WORK/spec01.out" 2>&1 &
uas_pid=$!
SIPP_PIDS+=("$uas_pid")
wait_udp_listen 5091

step "citizen (SIPp UAC) on 127.0.0.1:5070 calls 122"
uac_rc=0
timeout "$CALL_TIMEOUT" sipp "$ASTERISK" -sf "$SCENARIOS/citizen_uac.xml" -s 122 \
    -i 127.0.0.1 -p 5070 -mp 30000 -m 1 -set dtmf 1 -set talk_ms 2000 \
    -nostdin -trace_screen -screen_file "$WORK/citizen.screen" \
    >"$WORK/citizen.out" 2>&1 || uac_rc=$?

uas_rc=0
wait "$uas_pid" || uas_rc=$?

read -r uac_ok uac_failed < <(sipp_counts "$WORK/citizen.screen" 2>/dev/null || echo "? ?")
read -r uas_ok uas_failed < <(sipp_counts "$WORK/spec01.screen" 2>/dev/null || echo "? ?")
step "citizen: exit $uac_rc, successful $uac_ok, failed $uac_failed"
step "spec01:  exit $uas_rc, successful $uas_ok, failed $uas_failed"
[[ $uac_rc == 0 && $uac_ok == 1 && $uac_failed == 0 ]] || fail "citizen side (see $WORK/citizen.screen)"
[[ $uas_rc == 0 && $uas_ok == 1 && $uas_failed == 0 ]] || fail "spec01 side (see $WORK/spec01.screen)"

tail -n "+$((log_lines_before + 1))" "$MESSAGES_LOG" >"$WORK/asterisk-messages.log"
grep -q 'hotline: ARI app hotline not connected so line 122' "$WORK/asterisk-messages.log" \
    || fail "Asterisk did not log the fallback: was an ARI app 'hotline' connected? (see $WORK/asterisk-messages.log)"

channels=
for ((i = 0; i < 50; i++)); do
    channels=$(active_channels)
    [[ $channels == 0 ]] && break
    sleep 0.1
done
[[ $channels == 0 ]] || fail "$channels channel(s) still active after the call: $("$SANDBOX" cli 'core show channels')"

PASSED=true
echo "smoke: PASS: fallback reached spec01, 0 active channels ($((SECONDS - started)) s)"
