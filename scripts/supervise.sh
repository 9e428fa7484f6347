# Sourced by run-dev.sh and serve.sh: run several long-lived parts (web server, job cluster, fakes)
# and stop them all, cleanly, when any one ends or when this script is told to stop.
#
#   part NAME leader|group COMMAND...   start a part in its own process group
#   supervise                           wait; on SIGTERM/SIGINT or the first part ending, stop all
#
# Why each part gets its own process group: a process manager's SIGTERM (or Ctrl-C) goes to our
# whole group at once, and django-q2's cluster does not survive that. Its sentinel process dies on
# the spot (SIGTERM is left at the default there) while its master, handling the same signal, sets
# a shared multiprocessing event to stop it; a sentinel killed while it held that event's lock
# leaves the master blocked on the lock for ever (seen: still alive 40 minutes later, its workers
# gone). Here only this script gets the group's signal and passes it on the way each part stops
# well: `leader` signals the part's first process only (qcluster's master then stops its sentinel,
# which lets running tasks finish; gunicorn's master drains its workers); `group` signals every
# process of the part (runserver's autoreloader and its child, fake servers). Whatever is left
# after STOP_GRACE seconds is killed, so nothing outlives us by more than that.

set -m # job control: every background job gets a process group of its own (its pgid is its pid)

STOP_GRACE=${STOP_GRACE:-6}
_part_pids=()
_part_names=()
_part_modes=()

part() {
    local name=$1 mode=$2
    shift 2
    "$@" &
    _part_pids+=("$!")
    _part_names+=("$name")
    _part_modes+=("$mode")
}

_any_alive() {
    local pid
    for pid in "${_part_pids[@]}"; do
        kill -0 -- "-$pid" 2>/dev/null && return 0
    done
    return 1
}

_stop_parts() {
    trap '' INT TERM # a second Ctrl-C or SIGTERM must not cut the stop short
    local i pid ticks=$((STOP_GRACE * 5))
    for i in "${!_part_pids[@]}"; do
        pid=${_part_pids[$i]}
        if [ "${_part_modes[$i]}" = leader ]; then
            kill -TERM "$pid" 2>/dev/null || true
        else
            kill -TERM -- "-$pid" 2>/dev/null || true
        fi
    done
    while _any_alive && [ "$ticks" -gt 0 ]; do
        sleep 0.2
        ticks=$((ticks - 1))
    done
    for i in "${!_part_pids[@]}"; do
        pid=${_part_pids[$i]}
        if kill -0 -- "-$pid" 2>/dev/null; then
            echo "  ${_part_names[$i]} did not stop within ${STOP_GRACE}s: killed" >&2
            kill -KILL -- "-$pid" 2>/dev/null || true
        fi
    done
    wait 2>/dev/null || true
}

supervise() {
    trap 'exit 143' TERM
    trap 'exit 130' INT
    trap _stop_parts EXIT
    # The first part to end (a crash, a port in use) ends the others: half an app is worse than none.
    wait -n || true
}
