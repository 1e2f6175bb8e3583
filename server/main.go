// Command server runs Withboard: the pages, the HTTP API and the live
// WebSocket rooms, on an embedded store or on Redis.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/withboard/withboard/client"
	"github.com/withboard/withboard/hub"
)

// Limits per client address. A whole room joins at once when the QR code
// goes up, often from one venue address, so joins come in large bursts.
const (
	joinRate, joinBurst     = 5, 300
	createRate, createBurst = 20.0 / 3600, 20
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "withboard:", err)
		os.Exit(1)
	}
}

// run starts the server and serves until ctx ends, then shuts down
// gracefully. It prints "listening on http://ADDR" once it accepts
// connections, so a test can start it on :0.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	cfg, err := parseConfig(args, environ, stdout)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stdout, &slog.HandlerOptions{Level: slog.LevelInfo}))

	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()
	m := newMetrics()
	h := hub.New(store, hub.Config{IdleTimeout: cfg.roomIdle, Observer: m, Retention: cfg.retention, MaxParticipants: cfg.maxParticipants, MaxLiveRooms: cfg.maxLiveRooms}, log)
	ws := client.NewHandler(h, client.Config{
		PublicHost: cfg.publicHost(), AllowedOrigins: cfg.allowedOrigins,
		Joins: client.NewLimiter(joinRate, joinBurst), ClientAddr: cfg.clientAddr,
		MaxConnections: cfg.maxConnections, Misses: newMissLimiter(),
	}, log)
	m.watch(h, ws)

	if cfg.debugAddr != "" {
		stopDebug, err := serveDebug(cfg.debugAddr, log)
		if err != nil {
			return err
		}
		defer stopDebug()
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           routes(cfg, h, ws, m, log),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second, // WebSockets set their own deadline on every write
		IdleTimeout:       120 * time.Second,
	}
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	ifaces, _ := newLANFinder(cfg.interfaces).list()
	printWhere(stdout, ln.Addr(), cfg.publicURL, ifaces)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	if err := h.Shutdown(sctx); err != nil {
		log.Warn("rooms shutdown", "err", err)
	}
	if err := ws.Wait(sctx); err != nil {
		log.Warn("connections did not all close in time", "err", err)
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// openStore opens Redis (one, or a cluster) when configured, else the
// embedded store.
func openStore(ctx context.Context, cfg config, log *slog.Logger) (hub.Store, error) {
	if cfg.redisURL != "" || cfg.redisCluster != nil {
		log.Info("using redis", "cluster", cfg.redisCluster)
		return hub.OpenRedis(ctx, hub.RedisConfig{URL: cfg.redisURL, Cluster: cfg.redisCluster, Retention: cfg.retention,
			WaitReplicas: cfg.waitReplicas, WaitTimeout: cfg.waitTimeout}, log)
	}
	log.Info("using the embedded store", "dir", cfg.dataDir)
	store, err := hub.OpenEmbeddedConfig(hub.EmbeddedConfig{Dir: cfg.dataDir, Damaged: cfg.damagedLog, Log: log})
	if errors.Is(err, hub.ErrDamaged) {
		return nil, fmt.Errorf("%w\nNothing was changed. Restore the data directory from a backup, or start anyway with "+
			"DAMAGED_LOG=quarantine (flag -damaged-log=quarantine): a damaged log file is moved aside, every record before "+
			"the damage kept and each workshop started under a new epoch; a workshop damaged in withboard.db is refused, "+
			"its data left as it is, and the others are served", err)
	}
	return store, err
}
