#!/usr/bin/env bash
# Runs the six load cases of docs/performance.md, one after another,
# each against freshly started servers, and
# prints what the load command reports. Run it from the repository root
# on an otherwise quiet machine:
#
#	client/cmd/withboard-load/cases.sh          # all six
#	client/cmd/withboard-load/cases.sh 1 4      # some of them
#	client/cmd/withboard-load/cases.sh 7        # the hostile soak (10 minutes), only when asked
#	client/cmd/withboard-load/cases.sh 8        # side by side with Centrifugo, only when asked
#	client/cmd/withboard-load/cases.sh 9        # a Redis Cluster beside one Redis, only when asked
#	client/cmd/withboard-load/cases.sh 10       # one room of 1,000 phones beside Centrifugo, only when asked
#	client/cmd/withboard-load/cases.sh 11 12 13 # beside Centrifugo on Redis, idle, saturated, only when asked
#
# Case 8 installs Centrifugo outside the repository (see centrifugo.sh).
# Case 2 needs Redis (REDIS_URL, default redis://127.0.0.1:6379/0).
# Between two cases it waits SETTLE seconds (default 15).
set -euo pipefail

redis=${REDIS_URL:-redis://127.0.0.1:6379/0}
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(1 2 3 4 5 6)

ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/withboard" ./server
go build -o "$work/withboard-load" ./client/cmd/withboard-load
here=$(dirname "$0")

pids=()
# start PORT [server flags...]: starts an instance and waits until it listens.
start() {
	local port=$1
	shift
	"$work/withboard" -addr "127.0.0.1:$port" "$@" >"$work/server-$port.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do
		grep -q "listening on" "$work/server-$port.log" && return
		sleep 0.1
	done
	echo "server on port $port did not start:" >&2
	cat "$work/server-$port.log" >&2
	exit 1
}
stop() {
	kill "${pids[@]}" 2>/dev/null || true
	wait "${pids[@]}" 2>/dev/null || true
	pids=()
}
# centrifugo ENGINE PORT: starts Centrifugo and waits until it listens.
centrifugo() {
	"$here/centrifugo.sh" "$1" "$2" >"$work/centrifugo-$2.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return
		sleep 0.1
	done
	echo "centrifugo on port $2 did not start:" >&2
	cat "$work/centrifugo-$2.log" >&2
	exit 1
}
# redis PORT [flags...]: starts a Redis of the case's own (no persistence,
# as the one of case 2 here) and waits until it answers.
redis() {
	local port=$1
	shift
	rm -rf "$work/redis-$port" && mkdir -p "$work/redis-$port" # a node of an earlier cluster would not join a new one
	redis-server --port "$port" --bind 127.0.0.1 --dir "$work/redis-$port" --save "" --appendonly no "$@" \
		>"$work/redis-$port.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do
		redis-cli -p "$port" ping >/dev/null 2>&1 && return
		sleep 0.1
	done
	echo "redis on port $port did not start:" >&2
	cat "$work/redis-$port.log" >&2
	exit 1
}
# cluster PORT...: a Redis Cluster of one master per port, no replicas.
cluster() {
	local p nodes=()
	for p in "$@"; do
		redis "$p" --cluster-enabled yes --cluster-config-file "nodes-$p.conf"
		nodes+=("127.0.0.1:$p")
	done
	redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$work/cluster.log"
	for p in "$@"; do
		until redis-cli -p "$p" cluster info | grep -q cluster_state:ok; do sleep 0.1; done
	done
}
load() { "$work/withboard-load" "$@"; }
pidlist() { local IFS=,; echo "${pids[*]}"; }

first=1
for c in "${cases[@]}"; do
	if [ -z "$first" ]; then
		# Let the last case's file writes reach the disk and its closed
		# connections drain before measuring the next.
		sync
		sleep "${SETTLE:-15}"
	fi
	first=
	case $c in
	1)
		echo "## 1. embedded, 1 instance: 200 workshops x 25 phones, one op per phone every 5 s"
		start 9101 -data "$work/data1"
		load -url http://127.0.0.1:9101 -pid "$(pidlist)" -workshops 200 -phones 25 -every 5s -warmup 10s -duration 60s
		;;
	2)
		echo "## 2. Redis, 2 instances: the same load"
		start 9101 -redis "$redis"
		start 9102 -redis "$redis"
		load -url http://127.0.0.1:9101,http://127.0.0.1:9102 -pid "$(pidlist)" -workshops 200 -phones 25 -every 5s -warmup 10s -duration 60s
		;;
	3)
		echo "## 3. embedded: one workshop of 1,000 phones, 20 ops/s"
		start 9101 -data "$work/data3" -max-participants 1000
		load -url http://127.0.0.1:9101 -pid "$(pidlist)" -workshops 1 -phones 1000 -every 50s -warmup 10s -duration 60s
		;;
	4)
		echo "## 4. embedded: saturation, beside the bare gorilla/websocket loop"
		start 9101 -data "$work/data4"
		load -url http://127.0.0.1:9101 -pid "$(pidlist)" -baseline -workshops 200 -phones 25 \
			-rates 1000,1125,1250,1375,1500,1625,1750,1875,2000,2125,2250,2375,2500,2625,2750,3000,3500,4000 \
			-warmup 10s -duration 20s -slo 100ms
		;;
	5)
		echo "## 5. embedded: 10,000 idle connections"
		start 9101 -data "$work/data5"
		load -url http://127.0.0.1:9101 -pid "$(pidlist)" -idle -workshops 400 -phones 25 -duration 60s
		;;
	6)
		echo "## 6. embedded: joins to a 500-card board"
		start 9101 -data "$work/data6"
		load -url http://127.0.0.1:9101 -pid "$(pidlist)" -workshops 1 -phones 25 -cards 500 -every 5s -warmup 2s -duration 10s -join-probe 50
		;;
	7)
		echo "## 7. embedded: hostile soak, 25 honest phones in one workshop under every attack at once, 10 minutes"
		start 9101 -data "$work/data7"
		load -url http://127.0.0.1:9101 -pid "$(pidlist)" -hostile -duration 10m
		;;
	8)
		echo "## 8. side by side with Centrifugo: 100 workshops x 25 phones, 5 ops/s per workshop; Withboard embedded, Centrifugo memory engine; fresh processes, interleaved"
		"$here/centrifugo.sh" install
		side=(-workshops 100 -phones 25 -every 5s -warmup 10s -duration 60s)
		for round in 1 2; do
			start 9101 -data "$work/data8-$round"
			load -url http://127.0.0.1:9101 -pid "$(pidlist)" "${side[@]}"
			stop
			sync
			sleep "${SETTLE:-15}"
			centrifugo memory 9201
			load -target centrifugo -url http://127.0.0.1:9201 -pid "$(pidlist)" "${side[@]}"
			stop
			[ "$round" = 2 ] || sleep "${SETTLE:-15}"
		done
		;;
	9)
		echo "## 9. a Redis Cluster of 3 masters beside one Redis: 2 instances, 200 workshops x 25 phones, one op per phone every 5 s, then rates rising; fresh processes, interleaved"
		fixed=(-workshops 200 -phones 25 -every 5s -warmup 10s -duration 60s)
		climb=(-workshops 200 -phones 25 -rates 1000,1500,2000,2500,3000,3500,4000,5000 -warmup 10s -duration 20s -slo 100ms)
		for run in fixed climb; do
			for engine in one cluster; do
				if [ $engine = one ]; then
					redis 7100
					flags=(-redis redis://127.0.0.1:7100/0)
				else
					cluster 7101 7102 7103
					flags=(-redis-cluster 127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103)
				fi
				echo "### $run, $engine: pids (the Redis first, then the two instances) $(pidlist)"
				start 9101 "${flags[@]}"
				start 9102 "${flags[@]}"
				if [ $run = fixed ]; then
					load -url http://127.0.0.1:9101,http://127.0.0.1:9102 -pid "$(pidlist)" "${fixed[@]}"
				else
					load -url http://127.0.0.1:9101,http://127.0.0.1:9102 -pid "$(pidlist)" "${climb[@]}"
				fi
				stop
				sync
				sleep "${SETTLE:-15}"
			done
		done
		;;
	10)
		echo "## 10. side by side with Centrifugo: 1,000 phones join one workshop, then 20 ops/s; Withboard embedded, Centrifugo memory engine; fresh processes, interleaved"
		"$here/centrifugo.sh" install
		side=(-workshops 1 -phones 1000 -every 50s -warmup 10s -duration 60s)
		for round in 1 2; do
			start 9101 -data "$work/data10-$round" -max-participants 1000
			load -url http://127.0.0.1:9101 -pid "$(pidlist)" "${side[@]}"
			stop
			sync
			sleep "${SETTLE:-15}"
			centrifugo memory 9201
			load -target centrifugo -url http://127.0.0.1:9201 -pid "$(pidlist)" "${side[@]}"
			stop
			[ "$round" = 2 ] || sleep "${SETTLE:-15}"
		done
		;;
	11)
		echo "## 11. side by side with Centrifugo on Redis: 100 workshops x 25 phones, 5 ops/s per workshop; 2 Withboard instances on one Redis, 2 Centrifugo instances on its Redis engine (the same Redis); fresh processes, interleaved"
		"$here/centrifugo.sh" install
		side=(-workshops 100 -phones 25 -every 5s -warmup 10s -duration 60s)
		for round in 1 2; do
			start 9101 -redis "$redis"
			start 9102 -redis "$redis"
			load -url http://127.0.0.1:9101,http://127.0.0.1:9102 -pid "$(pidlist)" "${side[@]}"
			stop
			sync
			sleep "${SETTLE:-15}"
			centrifugo redis 9201
			centrifugo redis 9202
			load -target centrifugo -url http://127.0.0.1:9201,http://127.0.0.1:9202 -pid "$(pidlist)" "${side[@]}"
			stop
			[ "$round" = 2 ] || sleep "${SETTLE:-15}"
		done
		;;
	12)
		echo "## 12. side by side with Centrifugo: 1,000 idle phones (40 workshops x 25); Withboard embedded, Centrifugo memory engine"
		"$here/centrifugo.sh" install
		start 9101 -data "$work/data12"
		load -url http://127.0.0.1:9101 -pid "$(pidlist)" -idle -workshops 40 -phones 25 -duration 60s
		stop
		sleep "${SETTLE:-15}"
		centrifugo memory 9201
		load -target centrifugo -url http://127.0.0.1:9201 -pid "$(pidlist)" -idle -workshops 40 -phones 25 -duration 60s
		;;
	13)
		echo "## 13. side by side with Centrifugo: saturation, 200 workshops x 25 phones at rising rates; Withboard embedded, Centrifugo memory engine"
		"$here/centrifugo.sh" install
		rates=(-workshops 200 -phones 25 -rates 1000,1250,1500,1750,2000,2250,2500,2750,3000,3500,4000 -warmup 10s -duration 20s -slo 100ms)
		start 9101 -data "$work/data13"
		load -url http://127.0.0.1:9101 -pid "$(pidlist)" "${rates[@]}"
		stop
		sync
		sleep "${SETTLE:-15}"
		centrifugo memory 9201
		load -target centrifugo -url http://127.0.0.1:9201 -pid "$(pidlist)" "${rates[@]}"
		;;
	*)
		echo "unknown case $c (want 1 to 13)" >&2
		exit 2
		;;
	esac
	stop
	echo
done
