package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/withboard/withboard/hub"
)

// config is everything the server is told at start, from flags, each of
// which falls back to an environment variable.
type config struct {
	addr            string
	dataDir         string
	redisURL        string
	redisCluster    []string // seed nodes of a Redis Cluster, instead of redisURL
	publicURL       string
	allowedOrigins  []string
	createToken     string
	roomIdle        time.Duration
	shutdownTimeout time.Duration
	trustProxy      bool
	trustedProxies  []netip.Prefix // X-Forwarded-For entries skipped as proxies
	retention       time.Duration
	debugAddr       string
	maxParticipants int
	maxLiveRooms    int
	maxConnections  int64
	damagedLog      hub.DamagePolicy
	waitReplicas    int           // Redis replicas that must have an op before its ack
	waitTimeout     time.Duration // how long an ack waits for them

	// interfaces lists the machine's network interfaces, for the links
	// phones use; nil means the machine's own (tests give fakes).
	interfaces func() ([]ifaceAddrs, error)
}

// parseConfig reads flags from args, defaulting each to its environment
// variable, then to a built-in default.
func parseConfig(args []string, getenv func(string) string, out io.Writer) (config, error) {
	var c config
	var origins string
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	port := env("PORT", "8080")
	fs := flag.NewFlagSet("withboard", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.addr, "addr", env("ADDR", ":"+port), "address to listen on (env ADDR, or :$PORT)")
	fs.StringVar(&c.dataDir, "data", env("DATA_DIR", "data"), "directory of the embedded store, used when no Redis is set (env DATA_DIR)")
	fs.StringVar(&c.redisURL, "redis", env("REDIS_URL", ""), "Redis URL; when set, workshops live in Redis and several instances can serve them (env REDIS_URL)")
	cluster := env("REDIS_CLUSTER", "")
	fs.StringVar(&cluster, "redis-cluster", cluster,
		"comma-separated host:port of some nodes of a Redis Cluster (7.0+), instead of -redis (env REDIS_CLUSTER)")
	fs.StringVar(&c.publicURL, "public-url", env("PUBLIC_URL", ""), "public base URL, e.g. https://withboard.example.org, for absolute links (env PUBLIC_URL)")
	fs.StringVar(&origins, "allowed-origins", env("ALLOWED_ORIGINS", ""), "comma-separated extra origins allowed to open WebSockets (env ALLOWED_ORIGINS)")
	fs.StringVar(&c.createToken, "create-token", env("CREATE_TOKEN", ""), "if set, creating a workshop needs this bearer token (env CREATE_TOKEN)")
	fs.BoolVar(&c.trustProxy, "trust-proxy", env("TRUST_PROXY", "") == "true",
		"take the client's address from X-Forwarded-For, as the proxies in front set it: the last entry not in -trusted-proxies (env TRUST_PROXY=true)")
	proxies := env("TRUSTED_PROXIES", defaultTrustedProxies)
	fs.StringVar(&proxies, "trusted-proxies", proxies,
		"with -trust-proxy, comma-separated networks of proxies whose X-Forwarded-For entries are passed over to the one before, or none (env TRUSTED_PROXIES)")
	fs.StringVar(&c.debugAddr, "debug-addr", env("DEBUG_ADDR", ""),
		"if set, serve Go's profiler (/debug/pprof/) on this address, e.g. 127.0.0.1:6060; keep it private (env DEBUG_ADDR)")
	maxPeople := env("MAX_PARTICIPANTS", strconv.Itoa(hub.DefaultMaxParticipants))
	fs.StringVar(&maxPeople, "max-participants", maxPeople, "how many people one workshop holds, facilitators aside (env MAX_PARTICIPANTS)")
	maxRooms := env("MAX_LIVE_WORKSHOPS", strconv.Itoa(hub.DefaultMaxLiveRooms))
	fs.StringVar(&maxRooms, "max-live-workshops", maxRooms, "how many workshops this instance runs at once; past it new workshops are refused as full (env MAX_LIVE_WORKSHOPS)")
	maxConns := env("MAX_CONNECTIONS", "20000")
	fs.StringVar(&maxConns, "max-connections", maxConns, "how many WebSocket connections this instance keeps open at most; 0 for no limit (env MAX_CONNECTIONS)")
	roomIdle := env("ROOM_IDLE", "30s")
	retention := env("RETENTION", hub.DefaultRetention.String())
	fs.StringVar(&retention, "retention", retention, "how long a workshop is kept after its last activity (env RETENTION)")
	damaged := env("DAMAGED_LOG", "refuse")
	fs.StringVar(&damaged, "damaged-log", damaged,
		"what the embedded store does with damage in its log or database: refuse to start, or quarantine it and start each workshop under a new epoch (env DAMAGED_LOG)")
	waitReplicas := env("REDIS_WAIT_REPLICAS", "0")
	fs.StringVar(&waitReplicas, "redis-wait-replicas", waitReplicas,
		"with Redis, acknowledge an op only once this many replicas have it (WAIT); 0 for no wait (env REDIS_WAIT_REPLICAS)")
	waitTimeout := env("REDIS_WAIT_TIMEOUT", "1s")
	fs.StringVar(&waitTimeout, "redis-wait-timeout", waitTimeout,
		"how long an op waits for those replicas before it is refused as unavailable, to be sent again (env REDIS_WAIT_TIMEOUT)")
	shutdown := env("SHUTDOWN_TIMEOUT", "20s")
	fs.StringVar(&roomIdle, "room-idle", roomIdle, "how long an empty room stays in memory (env ROOM_IDLE)")
	fs.StringVar(&shutdown, "shutdown-timeout", shutdown, "how long a graceful shutdown may take (env SHUTDOWN_TIMEOUT)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	var err error
	if c.trustedProxies, err = parsePrefixes(proxies); err != nil {
		return c, fmt.Errorf("trusted-proxies: %w", err)
	}
	if c.maxParticipants, err = strconv.Atoi(maxPeople); err != nil || c.maxParticipants < 1 {
		return c, fmt.Errorf("max-participants %q: want a whole number of 1 or more", maxPeople)
	}
	if c.maxLiveRooms, err = strconv.Atoi(maxRooms); err != nil || c.maxLiveRooms < 1 {
		return c, fmt.Errorf("max-live-workshops %q: want a whole number of 1 or more", maxRooms)
	}
	if c.maxConnections, err = strconv.ParseInt(maxConns, 10, 64); err != nil || c.maxConnections < 0 {
		return c, fmt.Errorf("max-connections %q: want a whole number, 0 for no limit", maxConns)
	}
	switch damaged {
	case "refuse":
		c.damagedLog = hub.DamageRefuse
	case "quarantine":
		c.damagedLog = hub.DamageQuarantine
	default:
		return c, fmt.Errorf("damaged-log %q: want refuse or quarantine", damaged)
	}
	if c.roomIdle, err = time.ParseDuration(roomIdle); err != nil {
		return c, fmt.Errorf("room-idle: %w", err)
	}
	if c.shutdownTimeout, err = time.ParseDuration(shutdown); err != nil {
		return c, fmt.Errorf("shutdown-timeout: %w", err)
	}
	if c.retention, err = time.ParseDuration(retention); err != nil || c.retention <= 0 {
		return c, fmt.Errorf("retention %q: want a positive duration such as 720h", retention)
	}
	if c.waitReplicas, err = strconv.Atoi(waitReplicas); err != nil || c.waitReplicas < 0 {
		return c, fmt.Errorf("redis-wait-replicas %q: want a whole number, 0 for no wait", waitReplicas)
	}
	if c.waitTimeout, err = time.ParseDuration(waitTimeout); err != nil || c.waitTimeout <= 0 {
		return c, fmt.Errorf("redis-wait-timeout %q: want a positive duration such as 1s", waitTimeout)
	}
	for _, node := range strings.Split(cluster, ",") {
		if node = strings.TrimSpace(node); node == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(node); err != nil {
			return c, fmt.Errorf("redis-cluster %q: want host:port,host:port,...: %w", cluster, err)
		}
		c.redisCluster = append(c.redisCluster, node)
	}
	if c.redisURL != "" && c.redisCluster != nil {
		return c, errors.New("redis and redis-cluster: set one, not both (a URL names one Redis, the other a cluster)")
	}
	if c.publicURL != "" {
		u, err := url.Parse(c.publicURL)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return c, fmt.Errorf("public-url %q: want http(s)://host", c.publicURL)
		}
		c.publicURL = strings.TrimRight(c.publicURL, "/")
	}
	for _, o := range strings.Split(origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.allowedOrigins = append(c.allowedOrigins, o)
		}
	}
	return c, nil
}

// publicHost is the host of the public URL, or "".
func (c config) publicHost() string {
	if u, err := url.Parse(c.publicURL); err == nil {
		return u.Host
	}
	return ""
}

// environ is os.Getenv, named for run's callers.
var environ = os.Getenv
