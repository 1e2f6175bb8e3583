#!/usr/bin/env bash
# Runs Centrifugo, the server the load command compares Withboard with
# (withboard-load -target centrifugo). It installs Centrifugo with
# `go install` into a cache directory outside the repository when it is
# missing, writes its config beside it and starts it in the foreground:
#
#	client/cmd/withboard-load/centrifugo.sh memory 9201   # memory engine
#	client/cmd/withboard-load/centrifugo.sh redis 9201    # Redis engine on 127.0.0.1:6379
#	client/cmd/withboard-load/centrifugo.sh install       # only install it
#
# The config lets anyone connect without a token (client.insecure), and
# gives the "room" namespace what the load needs: subscribers may publish,
# history is on and recovery forced, as Withboard keeps every op.
# CENTRIFUGO_CACHE moves the cache (default ~/.cache/withboard/centrifugo);
# nothing here is ever part of the repository or of a test.
set -euo pipefail

version=v6.9.1
engine=${1:-memory}
port=${2:-9201}
cache=${CENTRIFUGO_CACHE:-$HOME/.cache/withboard/centrifugo}
bin=$cache/centrifugo

case $engine in
memory) engineConfig='{"type": "memory"}' ;;
redis) engineConfig='{"type": "redis", "redis": {"address": ["redis://127.0.0.1:6379"]}}' ;;
install) ;;
*)
	echo "usage: $0 memory|redis [port], or $0 install" >&2
	exit 2
	;;
esac

mkdir -p "$cache"
# go install leaves the version out of "centrifugo version"; the build info has it.
if ! go version -m "$bin" 2>/dev/null | grep -q "^[[:space:]]*mod[[:space:]].*centrifugo/v6[[:space:]]*$version"; then
	echo "installing centrifugo $version into $cache" >&2
	GOBIN="$cache" go install "github.com/centrifugal/centrifugo/v6@$version"
fi
[ "$engine" != install ] || exit 0

config=$cache/config-$engine-$port.json
cat >"$config" <<EOF
{
  "http_server": {"address": "127.0.0.1", "port": $port},
  "log": {"level": "warn"},
  "usage_stats": {"disabled": true},
  "client": {"insecure": true},
  "engine": $engineConfig,
  "channel": {
    "namespaces": [{
      "name": "room",
      "allow_subscribe_for_anonymous": true,
      "allow_subscribe_for_client": true,
      "allow_publish_for_subscriber": true,
      "history_size": 100,
      "history_ttl": "300s",
      "force_recovery": true
    }]
  }
}
EOF
exec "$bin" --config "$config"
