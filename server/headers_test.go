package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/withboard/withboard/hub/board"
)

// TestSecurityHeaders: every answer, page, file, API success or error,
// carries the security headers, and the policy allows no inline script
// and no framing.
func TestSecurityHeaders(t *testing.T) {
	srv := newEmbeddedServer(t)
	w := createWorkshop(t, srv.URL, "Headers")
	tests := []struct {
		method, path, key, body string
		want                    int
	}{
		{"GET", "/", "", "", 200},
		{"GET", "/j/" + w.Code, "", "", 200},
		{"GET", "/f/" + w.ID, "", "", 200},
		{"GET", "/static/css/base.css", "", "", 200},
		{"GET", "/static/js/dom.js", "", "", 200},
		{"GET", "/static/nothing.js", "", "", 404},
		{"GET", "/no/such/page", "", "", 404},
		{"GET", "/healthz", "", "", 200},
		{"GET", "/readyz", "", "", 200},
		{"GET", "/metrics", "", "", 200},
		{"POST", "/api/workshops", "", `{"title":"Another"}`, 201},
		{"POST", "/api/workshops", "", `{"title":""}`, 400},
		{"PUT", "/api/workshops", "", `{}`, 405},
		{"GET", "/api/workshops/" + w.Code, "", "", 200},
		{"GET", "/api/workshops/QQQQQQ", "", "", 404},
		{"GET", "/api/workshops/" + w.Code + "/qr.svg", "", "", 200},
		{"GET", "/api/workshops/" + w.ID + "/export?format=html", w.FacilitatorKey, "", 200},
		{"GET", "/api/workshops/" + w.ID + "/export?format=csv", w.FacilitatorKey, "", 200},
		{"GET", "/api/workshops/" + w.ID + "/export?format=pdf", w.FacilitatorKey, "", 400},
		{"GET", "/api/workshops/" + w.ID + "/export?format=json", "", "", 401},
		{"DELETE", "/api/workshops/" + w.ID, "wrong", "", 403},
		{"GET", "/s/" + w.Code, "", "", 409},
		{"GET", "/ws", "", "", 400},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if tt.key != "" {
				req.Header.Set("Authorization", "Bearer "+tt.key)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tt.want {
				t.Fatalf("status: got %d, want %d", res.StatusCode, tt.want)
			}
			checkSecurityHeaders(t, res.Header)
		})
	}
	t.Run("foreign origin on /ws", func(t *testing.T) {
		req, _ := http.NewRequest("GET", srv.URL+"/ws", nil)
		for k, v := range map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
			"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Origin": "https://evil.example"} {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Fatalf("status: got %d, want 403", res.StatusCode)
		}
		checkSecurityHeaders(t, res.Header)
	})
}

func checkSecurityHeaders(t *testing.T, h http.Header) {
	t.Helper()
	for name, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"} {
		if got := h.Get(name); got != want {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}
	if h.Get("Content-Type") == "" {
		t.Errorf("no Content-Type: with nosniff, every answer needs one")
	}
	csp := map[string][]string{}
	for _, d := range strings.Split(h.Get("Content-Security-Policy"), ";") {
		if f := strings.Fields(d); len(f) > 0 {
			csp[f[0]] = f[1:]
		}
	}
	// No framing: frame-ancestors 'none', or, where a policy leaves it
	// out, the older header every browser still honours.
	if got, ok := csp["frame-ancestors"]; (ok || h.Get("X-Frame-Options") != "DENY") && strings.Join(got, " ") != "'none'" {
		t.Errorf("CSP frame-ancestors: got %q, want 'none'", got)
	}
	scripts, ok := csp["script-src"]
	if !ok {
		scripts, ok = csp["default-src"]
	}
	if !ok || len(scripts) == 0 {
		t.Fatalf("CSP %q: no script-src nor default-src", h.Get("Content-Security-Policy"))
	}
	for _, s := range scripts {
		if s != "'self'" && s != "'none'" {
			t.Errorf("CSP script-src allows %s, want only 'self': no inline script", s)
		}
	}
	if got, def := strings.Join(csp["object-src"], " "), strings.Join(csp["default-src"], " "); got != "'none'" && def != "'self'" && def != "'none'" {
		t.Errorf("CSP: plugins not limited (object-src %q)", got)
	}
}

// Markup that a policy of no inline script (and style-src 'self') blocks.
var (
	scriptTag = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	inlineJS  = regexp.MustCompile(`(?i)\son[a-z]+\s*=|javascript:|<style\b|\sstyle\s*=`)
)

// TestPagesObeyThePolicy: the pages hold nothing the policy blocks, so
// they work under it.
func TestPagesObeyThePolicy(t *testing.T) {
	srv := newEmbeddedServer(t)
	w := createWorkshop(t, srv.URL, "Pages")
	for _, path := range []string{"/", "/j/" + w.Code, "/f/" + w.ID} {
		t.Run(path, func(t *testing.T) {
			res, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(res.Body)
			res.Body.Close()
			tags := scriptTag.FindAllSubmatch(page, -1)
			if len(tags) == 0 || !bytes.Contains(page, []byte("<html")) {
				t.Fatalf("no page with scripts at %s", path)
			}
			for _, m := range tags {
				if !bytes.Contains(m[1], []byte("src=")) || len(bytes.TrimSpace(m[2])) > 0 {
					t.Errorf("inline script %q: the policy blocks it", m[0])
				}
			}
			if m := inlineJS.Find(page); m != nil {
				t.Errorf("page holds %q, which the policy blocks", m)
			}
		})
	}
}

// TestBodyLimit: POST /api/workshops reads at most 16 KiB; a larger body
// gets 413 and the contract's error, and the server goes on.
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	srv := newEmbeddedServer(t)
	body := func(size int) string { // valid JSON of exactly size bytes
		base := `{"title":"Big","pad":""}`
		return strings.Replace(base, `""`, `"`+strings.Repeat("x", size-len(base))+`"`, 1)
	}
	tests := []struct {
		name     string
		body     io.Reader
		want     int
		wantCode string
	}{
		{"at the limit", strings.NewReader(body(maxBody)), 201, ""},
		{"one byte over", strings.NewReader(body(maxBody + 1)), 413, board.CodeTooLarge},
		{"a megabyte", strings.NewReader(body(1 << 20)), 413, board.CodeTooLarge},
		{"a megabyte, no length", io.MultiReader(strings.NewReader(body(1 << 20))), 413, board.CodeTooLarge},
		{"not JSON", strings.NewReader("title=x"), 400, board.CodeInvalid},
		{"title of the wrong type", strings.NewReader(`{"title":7}`), 400, board.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := http.Post(srv.URL+"/api/workshops", "application/json", tt.body)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if res.StatusCode != tt.want {
				t.Fatalf("status: got %d, want %d", res.StatusCode, tt.want)
			}
			checkSecurityHeaders(t, res.Header)
			if tt.wantCode == "" {
				return
			}
			var e struct {
				Error struct{ Code, Message string }
			}
			if err := json.NewDecoder(res.Body).Decode(&e); err != nil || e.Error.Code != tt.wantCode || e.Error.Message == "" {
				t.Fatalf("body: got %+v (%v), want error %s with a message", e, err, tt.wantCode)
			}
		})
	}
	createWorkshop(t, srv.URL, "After the big bodies")
}

// TestHeaderTimeout: the real server (run) closes a connection whose
// request headers trickle in, after its header timeout, however steadily
// they come; and run stops cleanly when its context ends.
func TestHeaderTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real server and waits out its 10 s header timeout: slow; run without -short")
	}
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	out, stdout := io.Pipe()
	ran := make(chan error, 1)
	go func() {
		ran <- run(ctx, []string{"-addr", "127.0.0.1:0", "-data", t.TempDir(), "-redis="}, stdout)
		stdout.Close()
	}()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "listening on http://"); ok {
				addr <- a
			}
		}
	}()
	defer func() {
		cancel()
		if err := <-ran; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	var base string
	select {
	case base = <-addr:
	case err := <-ran:
		t.Fatalf("run ended before listening: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("run did not listen within 30s")
	}

	conn, err := net.Dial("tcp", base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	closed := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, conn)
		closed <- err
	}()
	const limit = 15 * time.Second // headers that take longer are an attack
	start := time.Now()
	io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n")
	trickle := time.NewTicker(500 * time.Millisecond)
	defer trickle.Stop()
	for {
		select {
		case err := <-closed:
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("read: %v", err)
			}
			if took := time.Since(start); took > limit {
				t.Fatalf("closed after %v, want within %v", took, limit)
			}
			return
		case <-trickle.C:
			if time.Since(start) > limit {
				t.Fatalf("a request whose headers never end still open after %v", limit)
			}
			io.WriteString(conn, "X-Slow: 1\r\n")
		}
	}
}
