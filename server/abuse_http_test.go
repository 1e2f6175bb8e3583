package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/withboard/withboard/client"
	"github.com/withboard/withboard/hub"
	"github.com/withboard/withboard/hub/board"
)

// countingStore is the embedded store, counting the workshops created.
type countingStore struct {
	hub.Store
	creates atomic.Int64
}

func (s *countingStore) CreateWorkshop(ctx context.Context, w board.Workshop) error {
	s.creates.Add(1)
	return s.Store.CreateWorkshop(ctx, w)
}

// newConfigServer serves a fresh embedded store with cfg.
func newConfigServer(t *testing.T, cfg config) (*httptest.Server, *countingStore, *hub.Hub) {
	t.Helper()
	embedded, err := hub.OpenEmbedded(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	store := &countingStore{Store: embedded}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := hub.New(store, hub.Config{}, log)
	ws := client.NewHandler(h, client.Config{}, log)
	cfg.interfaces = func() ([]ifaceAddrs, error) { return nil, nil }
	srv := httptest.NewServer(routes(cfg, h, ws, newMetrics(), log))
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h.Shutdown(ctx)
		embedded.Close()
	})
	return srv, store, h
}

// send makes one request with the given headers and returns its status,
// headers and body.
func send(t *testing.T, method, url, body string, headers map[string]string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b
}

// errorCode is the contract's error code in an answer's body, or "".
func errorCode(body []byte) string {
	var e struct {
		Error struct{ Code, Message string }
	}
	if json.Unmarshal(body, &e) != nil || e.Error.Message == "" {
		return ""
	}
	return e.Error.Code
}

// trustingProxy is a server behind TRUST_PROXY with the default proxies.
func trustingProxy(t *testing.T) config {
	t.Helper()
	c, err := parseConfig([]string{"-trust-proxy"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCrossSiteCreation: a page on another site can send text/plain,
// form and multipart bodies without asking; such a creation is refused
// with 415, a body of no declared type from another site with 403, and
// nothing is created. A DELETE with such a body is refused the same way.
// JSON, and a browser on the server's own page, still create.
func TestCrossSiteCreation(t *testing.T) {
	srv, store, _ := newConfigServer(t, config{})
	title := `{"title":"Forged"}`
	crossSite := map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
	with := func(h map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range h {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	for _, tt := range []struct {
		name    string
		body    string
		headers map[string]string
		status  int
		code    string
	}{
		{"text/plain from another site", title, with(crossSite, "Content-Type", "text/plain;charset=UTF-8"), 415, board.CodeInvalid},
		{"text/plain", title, with(nil, "Content-Type", "text/plain"), 415, board.CodeInvalid},
		{"form from another site", "title=Forged", with(crossSite, "Content-Type", "application/x-www-form-urlencoded"), 415, board.CodeInvalid},
		{"multipart from another site", "--b\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nForged\r\n--b--\r\n",
			with(crossSite, "Content-Type", "multipart/form-data; boundary=b"), 415, board.CodeInvalid},
		{"no type from another site", title, crossSite, 403, board.CodeForbidden},
		{"JSON from another site by Origin alone", title, with(nil, "Origin", "https://evil.example", "Content-Type", "application/json"), 403, board.CodeForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := send(t, "POST", srv.URL+"/api/workshops", tt.body, tt.headers)
			if status != tt.status || errorCode(body) != tt.code {
				t.Errorf("got %d %s, want %d with code %q", status, body, tt.status, tt.code)
			}
		})
	}
	if n := store.creates.Load(); n != 0 {
		t.Fatalf("got %d workshops created by refused requests, want 0", n)
	}

	ownPage := map[string]string{"Content-Type": "application/json; charset=utf-8", "Origin": srv.URL, "Sec-Fetch-Site": "same-origin"}
	status, _, body := send(t, "POST", srv.URL+"/api/workshops", title, ownPage)
	if status != http.StatusCreated {
		t.Fatalf("JSON from the server's own page: got %d %s, want 201", status, body)
	}
	var w created
	json.Unmarshal(body, &w)
	bearer := "Bearer " + w.FacilitatorKey
	if status, _, _ := send(t, "DELETE", srv.URL+"/api/workshops/"+w.ID, "x", map[string]string{"Authorization": bearer, "Content-Type": "text/plain"}); status != 415 {
		t.Errorf("DELETE with a text/plain body: got %d, want 415", status)
	}
	if status, _, _ := send(t, "GET", srv.URL+"/api/workshops/"+w.Code, "", nil); status != http.StatusOK {
		t.Fatalf("after the refused DELETE: lookup got %d, want the workshop still there", status)
	}
	if status, _, _ := send(t, "DELETE", srv.URL+"/api/workshops/"+w.ID, "", map[string]string{"Authorization": bearer}); status != http.StatusNoContent {
		t.Errorf("DELETE with no body: got %d, want 204", status)
	}
}

// TestWrongTokenSpendsNoBudget: requests without the right creation token
// are refused before the address's creation budget is touched, so after
// many of them the address still creates its full burst.
func TestWrongTokenSpendsNoBudget(t *testing.T) {
	srv, _, _ := newConfigServer(t, config{createToken: "let-me-in"})
	noToken := map[string]string{"Content-Type": "application/json"}
	for i := range 3 * createBurst {
		h := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer wrong"}
		want := http.StatusForbidden
		if i%2 == 0 {
			h, want = noToken, http.StatusUnauthorized
		}
		if status, _, _ := send(t, "POST", srv.URL+"/api/workshops", `{"title":"Guess"}`, h); status != want {
			t.Fatalf("request %d with a wrong or no token: got %d, want %d", i, status, want)
		}
	}
	right := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer let-me-in"}
	for i := range createBurst {
		if status, _, body := send(t, "POST", srv.URL+"/api/workshops", `{"title":"Real"}`, right); status != http.StatusCreated {
			t.Fatalf("creation %d of %d with the token, after the wrong ones: got %d %s, want 201", i+1, createBurst, status, body)
		}
	}
	if status, _, _ := send(t, "POST", srv.URL+"/api/workshops", `{"title":"One more"}`, right); status != http.StatusTooManyRequests {
		t.Fatalf("creation past the burst: got %d, want 429", status)
	}
}

// createFrom creates workshops as if from behind a proxy that wrote xff,
// until the budget runs out, and returns how many it made.
func createFrom(t *testing.T, base string, xff func(i int) string, tries int) int {
	t.Helper()
	made := 0
	for i := range tries {
		h := map[string]string{"Content-Type": "application/json", "X-Forwarded-For": xff(i)}
		switch status, _, body := send(t, "POST", base+"/api/workshops", `{"title":"Budget"}`, h); status {
		case http.StatusCreated:
			made++
		case http.StatusTooManyRequests:
		default:
			t.Fatalf("create %d: got %d %s, want 201 or 429", i, status, body)
		}
	}
	return made
}

// TestSpoofedForwardedFor: behind TRUST_PROXY, what a client writes into
// X-Forwarded-For before the proxy adds its address does not make it a
// new client, through one proxy or a chain of trusted ones; another
// client, as the proxy names it, has its own budget.
func TestSpoofedForwardedFor(t *testing.T) {
	srv, _, _ := newConfigServer(t, trustingProxy(t))
	spoof := func(i int) string { return fmt.Sprintf("198.51.100.%d", i%250+1) }
	tests := []struct {
		name string
		xff  func(i int) string
	}{
		{"one proxy", func(i int) string { return spoof(i) + ", 203.0.113.7" }},
		{"behind two trusted proxies", func(i int) string { return spoof(i) + ", 203.0.113.7, 10.1.2.3, 192.168.0.5" }},
		{"no spaces", func(i int) string { return spoof(i) + ",203.0.113.7" }},
	}
	made := 0
	for _, tt := range tests {
		made += createFrom(t, srv.URL, tt.xff, createBurst)
	}
	if made != createBurst {
		t.Fatalf("one client with spoofed X-Forwarded-For entries: created %d, want its one budget of %d", made, createBurst)
	}
	if n := createFrom(t, srv.URL, func(int) string { return "203.0.113.8" }, 1); n != 1 {
		t.Fatal("another client: refused, want its own budget")
	}
}

// TestIPv6NetworkSharesBudget: 1,000 addresses of one IPv6 /64 are one
// client to the limits; the next /64 is another.
func TestIPv6NetworkSharesBudget(t *testing.T) {
	srv, _, _ := newConfigServer(t, trustingProxy(t))
	made := createFrom(t, srv.URL, func(i int) string { return fmt.Sprintf("2001:db8:1:2:%x:%x::1", i/7, i) }, 1000)
	if made != createBurst {
		t.Fatalf("1,000 addresses of 2001:db8:1:2::/64: created %d, want one budget of %d", made, createBurst)
	}
	if n := createFrom(t, srv.URL, func(int) string { return "2001:db8:1:3::1" }, 1); n != 1 {
		t.Fatal("an address of the next /64: refused, want its own budget")
	}
}

// TestClientAddr: the address a request's limits are kept under.
func TestClientAddr(t *testing.T) {
	proxied := trustingProxy(t)
	none := proxied
	none.trustedProxies = nil
	for _, tt := range []struct {
		name   string
		cfg    config
		remote string
		xff    []string
		want   string
	}{
		{"direct", config{}, "203.0.113.9:4000", nil, "203.0.113.9"},
		{"direct, header ignored", config{}, "203.0.113.9:4000", []string{"1.2.3.4"}, "203.0.113.9"},
		{"direct IPv6 is its /64", config{}, "[2001:db8:a:b:c:d:e:f]:4000", nil, "2001:db8:a:b::/64"},
		{"one proxy", proxied, "127.0.0.1:4000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"one proxy, a client on its network", proxied, "127.0.0.1:4000", []string{"192.168.1.20"}, "192.168.1.20"},
		{"spoofed entry before", proxied, "127.0.0.1:4000", []string{"1.2.3.4, 203.0.113.9"}, "203.0.113.9"},
		{"trusted chain", proxied, "127.0.0.1:4000", []string{"1.2.3.4, 203.0.113.9, 10.0.0.2", "172.16.0.9"}, "203.0.113.9"},
		{"proxy writes a port", proxied, "127.0.0.1:4000", []string{"203.0.113.9:5555"}, "203.0.113.9"},
		{"IPv6 through a proxy", proxied, "127.0.0.1:4000", []string{"2001:db8::1, 2001:db8:1:2::99"}, "2001:db8:1:2::/64"},
		{"mapped IPv4", proxied, "127.0.0.1:4000", []string{"::ffff:203.0.113.9"}, "203.0.113.9"},
		{"no trusted networks: the last entry", none, "127.0.0.1:4000", []string{"1.2.3.4, 10.0.0.2"}, "10.0.0.2"},
		{"no header behind the proxy", proxied, "127.0.0.1:4000", nil, "127.0.0.1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := tt.cfg.clientAddr(r); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestTrustedProxiesSetting reads the proxy networks from the flag and
// the environment, and refuses what is not a network.
func TestTrustedProxiesSetting(t *testing.T) {
	for _, tt := range []struct {
		args []string
		env  string
		want string
		bad  bool
	}{
		{nil, "", "[127.0.0.0/8 ::1/128 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7]", false},
		{nil, "10.0.0.0/8, 2001:db8::/32", "[10.0.0.0/8 2001:db8::/32]", false},
		{[]string{"-trusted-proxies", "10.1.2.3"}, "192.168.0.0/16", "[10.1.2.3/32]", false},
		{nil, "none", "[]", false},
		{nil, "10.0.0.0/8,proxy.internal", "", true},
	} {
		c, err := parseConfig(tt.args, func(k string) string {
			if k == "TRUSTED_PROXIES" {
				return tt.env
			}
			return ""
		}, io.Discard)
		if got := fmt.Sprint(c.trustedProxies); tt.bad != (err != nil) || (!tt.bad && got != tt.want) {
			t.Errorf("args %v env %q: got %s, %v; want %s (refused: %v)", tt.args, tt.env, got, err, tt.want, tt.bad)
		}
	}
}

// randomCode is a join code no workshop is likely to have.
func randomCode() string {
	b := make([]byte, 6)
	for i := range b {
		b[i] = hub.CodeAlphabet[rand.IntN(len(hub.CodeAlphabet))]
	}
	return string(b)
}

// TestCodeGuessing: one address trying random codes is refused with 429,
// a Retry-After and a plain message well before its thousandth try, on
// the API and on the pages, and while refused it learns nothing of a
// real code either; another address is unaffected.
func TestCodeGuessing(t *testing.T) {
	srv, _, _ := newConfigServer(t, trustingProxy(t))
	real := createWorkshop(t, srv.URL, "Real one")
	guesser := map[string]string{"X-Forwarded-For": "203.0.113.66"}
	paths := []string{"/api/workshops/%s", "/s/%s", "/j/%s", "/api/workshops/%s/qr.svg"}
	first, misses, start := -1, 0, time.Now()
	for i := range 3000 {
		status, h, body := send(t, "GET", srv.URL+fmt.Sprintf(paths[i%len(paths)], randomCode()), "", guesser)
		switch status {
		case http.StatusNotFound:
			misses++
		case http.StatusTooManyRequests:
			if first < 0 {
				first = i
				if h.Get("Retry-After") == "" || !strings.Contains(string(body), "Too many workshop codes") {
					t.Errorf("first refusal: Retry-After %q, body %s; want both", h.Get("Retry-After"), body)
				}
			}
		default:
			t.Fatalf("guess %d (%s): got %d, want 404 or 429", i, paths[i%len(paths)], status)
		}
	}
	if first < 0 || first >= 1000 {
		t.Fatalf("got the first 429 at guess %d, want one before the 1,000th", first)
	}
	if refilled := int(time.Since(start) / missEvery); misses > missBurst+refilled+1 {
		t.Fatalf("got %d answered guesses of 3,000, want at most the burst of %d and one per %v", misses, missBurst, missEvery)
	}
	for _, p := range paths {
		if status, _, _ := send(t, "GET", srv.URL+fmt.Sprintf(p, real.Code), "", guesser); status != http.StatusTooManyRequests {
			t.Errorf("the real code from the refused address, %s: got %d, want 429 (a guess answers nothing)", p, status)
		}
	}
	status, _, body := send(t, "GET", srv.URL+"/api/workshops/"+real.Code, "", nil)
	if status != http.StatusOK {
		t.Fatalf("the real code from another address: got %d %s, want 200", status, body)
	}
	if status, _, body := send(t, "GET", srv.URL+"/api/workshops/"+randomCode(), "", guesser); status != 429 || errorCode(body) != board.CodeRateLimited {
		t.Errorf("refusal on the API: got %d %s, want 429 with code %q", status, body, board.CodeRateLimited)
	}
}

// TestCheapLookups: the lookup and the summary of a workshop of 1,500
// cards are served from what was read once, not a board load per
// request: 500 of each take under 2 s of CPU, the server's and the
// test's together; and they follow the board when it changes.
func TestCheapLookups(t *testing.T) {
	srv, _, h := newConfigServer(t, config{})
	w := createWorkshop(t, srv.URL, "Big board")
	ws, err := h.Workshop(context.Background(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	people := []hub.SeedPerson{{Name: "Ann", Role: board.RoleStaff}, {Name: "Bo", Role: board.RoleServiceUser}}
	ops := make([]hub.SeedOp, 1500)
	for i := range ops {
		text := fmt.Sprintf("Idea number %d: %s", i, strings.Repeat("words to make it long enough ", 8))
		ops[i] = hub.SeedOp{By: i % 2, Op: board.Op{Kind: board.KindCardAdd, Card: &board.CardInput{ID: uuid.NewString(), Text: text}}}
	}
	if err := h.Seed(context.Background(), ws, people, ops); err != nil {
		t.Fatal(err)
	}
	lookups := func(path string, want int) time.Duration {
		t.Helper()
		before, ok := processCPU()
		if !ok {
			t.Skip("no process CPU time on this system")
		}
		for i := range 500 {
			if status, _, body := send(t, "GET", srv.URL+path, "", nil); status != want {
				t.Fatalf("lookup %d of %s: got %d %.200s, want %d", i, path, status, body, want)
			}
		}
		after, _ := processCPU()
		return after - before
	}
	if cpu := lookups("/api/workshops/"+w.Code, 200); cpu > 2*time.Second {
		t.Errorf("500 lookups of a 1,500-card workshop: %v of CPU, want under 2s", cpu)
	}
	if cpu := lookups("/s/"+w.Code, 409); cpu > 2*time.Second {
		t.Errorf("500 summaries of an open 1,500-card workshop: %v of CPU, want under 2s", cpu)
	}

	fac := dial(t, srv.URL)
	fac.join(map[string]any{"code": w.Code, "key": w.FacilitatorKey, "name": "Fay"})
	fac.ack(fac.op(map[string]any{"kind": "phase.set", "phase": "closed"}))
	if cpu := lookups("/s/"+w.Code, 200); cpu > 2*time.Second {
		t.Errorf("500 summaries of a closed 1,500-card workshop: %v of CPU, want under 2s", cpu)
	}
	_, _, body := send(t, "GET", srv.URL+"/api/workshops/"+w.Code, "", nil)
	var got struct{ Phase string }
	if json.Unmarshal(body, &got); got.Phase != "closed" {
		t.Errorf("lookup after closing: got phase %q, want closed", got.Phase)
	}
}

// TestLinksVary: without a public URL the links, the create answer and
// the QR code are made from the request's Host (and X-Forwarded-Proto
// behind a proxy), so they say so in Vary and are not cached publicly;
// X-Forwarded-Proto from a client not behind a proxy is ignored, and a
// Host that is not a host name is not used. With a public URL they are
// always made from it.
func TestLinksVary(t *testing.T) {
	for _, tt := range []struct {
		name      string
		cfg       config
		vary      []string
		forwarded string // the scheme X-Forwarded-Proto: https gives
	}{
		{"no proxy", config{}, []string{"Host"}, "http"},
		{"behind a proxy", config{trustProxy: true}, []string{"Host", "X-Forwarded-Proto"}, "https"},
		{"public URL", config{publicURL: "https://withboard.example.org"}, nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, _, _ := newConfigServer(t, tt.cfg)
			hdr := map[string]string{"Content-Type": "application/json", "Host": "laptop.example:8080", "X-Forwarded-Proto": "https"}
			do := func(method, path, body string, h map[string]string) (int, http.Header, []byte) {
				t.Helper()
				req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
				for k, v := range h {
					req.Header.Set(k, v)
				}
				req.Host = h["Host"]
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				return res.StatusCode, res.Header, b
			}
			status, header, body := do("POST", "/api/workshops", `{"title":"Links"}`, hdr)
			if status != http.StatusCreated {
				t.Fatalf("create: got %d %s", status, body)
			}
			var c struct{ ID, Code, FacilitatorKey, JoinURL string }
			json.Unmarshal(body, &c)
			wantBase := tt.forwarded + "://laptop.example:8080"
			if tt.cfg.publicURL != "" {
				wantBase = tt.cfg.publicURL
			}
			if c.JoinURL != wantBase+"/j/"+c.Code {
				t.Errorf("create: joinUrl %q, want it on %s", c.JoinURL, wantBase)
			}
			answers := map[string]http.Header{"create": header}
			hdr["Authorization"] = "Bearer " + c.FacilitatorKey
			_, answers["links"], _ = do("GET", "/api/workshops/"+c.ID+"/links", "", hdr)
			_, answers["qr"], _ = do("GET", "/api/workshops/"+c.Code+"/qr.svg", "", hdr)
			for name, h := range answers {
				vary := strings.Join(h.Values("Vary"), ", ")
				for _, v := range tt.vary {
					if !strings.Contains(vary, v) {
						t.Errorf("%s: Vary %q, want %s in it", name, vary, v)
					}
				}
				cache := h.Get("Cache-Control")
				if tt.vary != nil && !strings.Contains(cache, "no-store") && !strings.Contains(cache, "private") {
					t.Errorf("%s: Cache-Control %q, want no-store or private", name, cache)
				}
			}

			hdr["Host"] = "laptop.example/evil"
			if status, _, body := do("GET", "/api/workshops/"+c.ID+"/links", "", hdr); status == http.StatusOK && strings.Contains(string(body), "evil") {
				t.Errorf("links with a malformed Host: got %s, want links not made from it", body)
			}
		})
	}
}
