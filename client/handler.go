package client

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gorilla/websocket"

	"github.com/withboard/withboard/hub"
	"github.com/withboard/withboard/hub/board"
)

// Socket buffers. Every connection holds its read buffer for as long as
// it is open, so it is the least the WebSocket library accepts as one
// (more than 256 bytes); ops are small, and a larger frame is read past
// it. The read buffer is made by batchingHijack, hence no ReadBufferSize
// in the upgrader. Writers borrow a buffer only while they write a frame.
const (
	readBuffer  = 288
	writeBuffer = 4096
)

var writeBuffers = &sync.Pool{}

// Config is what the WebSocket endpoint needs to know.
type Config struct {
	// PublicHost is the host of the server's public URL, if it has one; an
	// Origin with this host is the server's own.
	PublicHost string
	// AllowedOrigins are other origins (scheme://host[:port]) whose pages
	// may connect.
	AllowedOrigins []string
	// Joins limits new connections per client address; nil for none.
	Joins *Limiter
	// ClientAddr names the client of a request, for Joins.
	ClientAddr func(*http.Request) string
	// MaxConnections bounds the open connections; past it a new one is
	// refused with 503 full. Zero means no bound.
	MaxConnections int64
	// Misses limits joins of workshops that do not exist, per client
	// address (ClientAddr); nil for none. Share it with the HTTP lookups,
	// so that guessing codes costs the same either way.
	Misses *Limiter
}

// Handler is the /ws endpoint: it upgrades requests and serves each
// connection until it closes.
type Handler struct {
	hub      *hub.Hub
	cfg      Config
	log      *slog.Logger
	upgrader websocket.Upgrader
	conns    atomic.Int64
	live     sync.WaitGroup // one per connection being served
}

// NewHandler returns the endpoint for h's rooms.
func NewHandler(h *hub.Hub, cfg Config, log *slog.Logger) *Handler {
	x := &Handler{hub: h, cfg: cfg, log: log}
	x.upgrader = websocket.Upgrader{
		WriteBufferSize: writeBuffer, WriteBufferPool: writeBuffers,
		CheckOrigin: x.sameOrigin, Error: refuseUpgrade,
	}
	return x
}

// refuseUpgrade answers a request that cannot become a WebSocket with the
// contract's error shape: 403 for a foreign origin, else a bad request.
func refuseUpgrade(w http.ResponseWriter, _ *http.Request, status int, _ error) {
	code, message := board.CodeInvalid, "This address takes WebSocket connections only."
	if status == http.StatusForbidden {
		code, message = board.CodeForbidden, "Pages from other sites may not connect to this server."
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": message}})
}

// Misses is the limiter of joins of unknown workshops, if configured.
func (x *Handler) Misses() *Limiter { return x.cfg.Misses }

// Connections is how many WebSocket connections are open.
func (x *Handler) Connections() int64 { return x.conns.Load() }

// sameOrigin accepts a request with no Origin (not a browser), the
// server's own origin, or a configured one.
func (x *Handler) sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) || (x.cfg.PublicHost != "" && strings.EqualFold(u.Host, x.cfg.PublicHost)) {
		return true
	}
	for _, o := range x.cfg.AllowedOrigins {
		if strings.EqualFold(strings.TrimRight(o, "/"), origin) {
			return true
		}
	}
	return false
}

// Wait returns when every connection has ended (after the hub's shutdown
// has sent them bye), or when ctx ends.
func (x *Handler) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		x.live.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ServeHTTP upgrades the request and serves the connection.
func (x *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if x.cfg.MaxConnections > 0 && x.conns.Load() >= x.cfg.MaxConnections {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"error":{"code":"full","message":"This server has as many connections as it can take just now. Try again in a minute."}}`))
		return
	}
	if x.cfg.Joins != nil && !x.cfg.Joins.Allow(x.cfg.ClientAddr(r)) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Retry-After", "5")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"error":{"code":"rateLimited","message":"Too many people are joining from this network at once. Try again in a few seconds."}}`))
		return
	}
	ws, err := x.upgrader.Upgrade(&batchingHijack{ResponseWriter: w, readBuffer: readBuffer}, r, nil)
	if err != nil {
		return // the upgrader has answered (403 for a foreign origin)
	}
	x.live.Add(1)
	x.conns.Add(1)
	// The connection joins here, then is served by goroutines of its own
	// and this handler returns, so that net/http lets go of the request
	// and its buffers: an idle phone keeps only what it needs. (The
	// request's context ends with the handler, so the connection does not
	// take it along.)
	c := newConn(ws, x.log)
	if x.cfg.Misses != nil && x.cfg.ClientAddr != nil {
		c.misses, c.who = x.cfg.Misses, x.cfg.ClientAddr(r)
	}
	c.serve(context.Background(), x.hub, x.served)
}

// served counts a connection as ended.
func (x *Handler) served() {
	x.conns.Add(-1)
	x.live.Done()
}
