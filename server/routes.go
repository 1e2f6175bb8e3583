package main

import (
	"log/slog"
	"net/http"

	"github.com/withboard/withboard/client"
	"github.com/withboard/withboard/hub"
	"github.com/withboard/withboard/web"
)

// contentSecurityPolicy allows only this server's own scripts, styles and
// connections, and no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// routes mounts every route of the contract.
func routes(cfg config, h *hub.Hub, ws *client.Handler, m *metrics, log *slog.Logger) http.Handler {
	misses := ws.Misses() // shared with the WebSocket joins, when the handler has one
	if misses == nil {
		misses = newMissLimiter()
	}
	pages, err := loadAssets(web.FS)
	if err != nil {
		panic(err) // the files are embedded in the binary: they are there
	}
	a := &api{cfg: cfg, hub: h, log: log, creates: client.NewLimiter(createRate, createBurst), lan: newLANFinder(cfg.interfaces),
		misses: misses, boards: newBoardCache(h),
		sites: http.NewCrossOriginProtection()}
	if cfg.publicURL != "" {
		// A proxy may rewrite Host; the public origin is this server's all the same.
		if err := a.sites.AddTrustedOrigin(cfg.publicURL); err != nil {
			log.Warn("public URL is not an origin", "err", err)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/workshops", a.create)
	mux.HandleFunc("GET /api/workshops/{code}", a.show)
	mux.HandleFunc("GET /api/workshops/{code}/qr.svg", a.qr)
	mux.HandleFunc("GET /api/workshops/{id}/links", a.links)
	mux.HandleFunc("GET /api/workshops/{id}/export", a.export)
	mux.HandleFunc("DELETE /api/workshops/{id}", a.remove)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", a.ready)
	mux.Handle("GET /metrics", m.handler())
	mux.Handle("GET /ws", ws)

	mux.HandleFunc("GET /static/{path...}", pages.files)
	mux.HandleFunc("GET /{$}", pages.page("index.html"))
	mux.HandleFunc("GET /j/{code}", a.workshopPage("code", pages.page("join.html")))
	mux.HandleFunc("GET /w/{code}", a.workshopPage("code", pages.page("wall.html")))
	mux.HandleFunc("GET /f/{id}", a.workshopPage("id", pages.page("facilitator.html")))
	mux.HandleFunc("GET /s/{code}", a.summary)
	return securityHeaders(mux)
}

// securityHeaders sets the headers every answer carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}
