package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"rsc.io/qr"

	"github.com/withboard/withboard/client"
	"github.com/withboard/withboard/hub"
)

const (
	up       = net.FlagUp | net.FlagBroadcast | net.FlagMulticast
	loopback = net.FlagUp | net.FlagLoopback
)

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

// TestLANAddress: the address phones are told to use is the one they are
// most likely to reach.
func TestLANAddress(t *testing.T) {
	tests := []struct {
		name   string
		ifaces []ifaceAddrs
		want   string // "" for none
	}{
		{"nothing", nil, ""},
		{"loopback only", []ifaceAddrs{{"lo", loopback, addrs("127.0.0.1", "::1")}}, ""},
		{"wifi", []ifaceAddrs{{"lo", loopback, addrs("127.0.0.1")}, {"wlan0", up, addrs("192.168.1.20")}}, "192.168.1.20"},
		{"docker listed first", []ifaceAddrs{
			{"docker0", up, addrs("172.17.0.1")}, {"br-1a2b3c", up, addrs("172.18.0.1")}, {"veth12", up, addrs("10.1.0.1")},
			{"wlp2s0", up, addrs("fe80::1", "192.168.0.14")},
		}, "192.168.0.14"},
		{"every virtual kind before the Mac's Wi-Fi", []ifaceAddrs{
			{"virbr0", up, addrs("192.168.122.1")}, {"vboxnet0", up, addrs("192.168.56.1")}, {"vmnet8", up, addrs("192.168.200.1")},
			{"tun0", up, addrs("10.8.0.2")}, {"tap1", up, addrs("10.9.0.2")}, {"wg0", up, addrs("10.10.0.2")},
			{"utun3", up, addrs("10.11.0.2")}, {"en0", up, addrs("10.0.0.7")},
		}, "10.0.0.7"},
		{"down interface skipped", []ifaceAddrs{{"eth0", net.FlagBroadcast, addrs("192.168.1.5")}, {"wlan0", up, addrs("192.168.1.6")}}, "192.168.1.6"},
		{"link-local never", []ifaceAddrs{{"eth0", up, addrs("169.254.10.1", "fe80::abcd")}}, ""},
		{"loopback address on an ordinary interface never", []ifaceAddrs{{"eth0", up, addrs("127.0.0.2")}}, ""},
		{"private before public IPv4", []ifaceAddrs{{"eth0", up, addrs("203.0.113.9")}, {"eth1", up, addrs("172.20.1.2")}}, "172.20.1.2"},
		{"public IPv4 before IPv6", []ifaceAddrs{{"eth0", up, addrs("2001:db8::5", "fd00::5", "198.51.100.3")}}, "198.51.100.3"},
		{"IPv6 unique-local when no IPv4", []ifaceAddrs{{"eth0", up, addrs("fe80::1", "fd12:3456::7")}}, "fd12:3456::7"},
		{"a physical interface's IPv6 before a bridge's IPv4", []ifaceAddrs{{"docker0", up, addrs("172.17.0.1")}, {"eth0", up, addrs("2001:db8::9")}}, "2001:db8::9"},
		{"only virtual: the best of them", []ifaceAddrs{{"docker0", up, addrs("fd00::1")}, {"tailscale0", up, addrs("100.101.102.103")}, {"wg0", up, addrs("10.6.0.1")}}, "10.6.0.1"},
		{"first of equals", []ifaceAddrs{{"eth0", up, addrs("192.168.1.2")}, {"wlan0", up, addrs("192.168.1.3")}}, "192.168.1.2"},
		{"IPv4-mapped counts as IPv4", []ifaceAddrs{{"eth0", up, addrs("::ffff:192.168.9.9")}}, "192.168.9.9"},
		{"Windows names", []ifaceAddrs{{"vEthernet (WSL)", up, addrs("172.29.160.1")}, {"Wi-Fi", up, addrs("192.168.43.12")}}, "192.168.43.12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := lanAddress(tt.ifaces)
			if tt.want == "" {
				if ok {
					t.Fatalf("got %s, want none", got)
				}
				return
			}
			if !ok || got != netip.MustParseAddr(tt.want) {
				t.Fatalf("got %s %v, want %s", got, ok, tt.want)
			}
		})
	}
}

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost:8080": true, "LOCALHOST": true, "app.localhost:1": true, "127.0.0.1:8080": true, "127.8.8.8": true,
		"[::1]:8080": true, "0.0.0.0:8080": true, "[::]:80": true, "": true,
		"192.168.1.20:8080": false, "[fd00::1]:8080": false, "withboard.example.org": false, "laptop.local:8080": false,
	} {
		if got := isLoopbackHost(host); got != want {
			t.Errorf("isLoopbackHost(%q): got %v, want %v", host, got, want)
		}
	}
}

// TestPrintWhere: the start-up lines say where phones join, or why they
// cannot.
func TestPrintWhere(t *testing.T) {
	wifi := []ifaceAddrs{{"docker0", up, addrs("172.17.0.1")}, {"wlan0", up, addrs("192.168.1.20")}}
	tests := []struct {
		name, listen, public string
		ifaces               []ifaceAddrs
		want                 []string
	}{
		{"all interfaces", "[::]:8080", "", wifi, []string{"  Local:   http://localhost:8080/", "  Network: http://192.168.1.20:8080/"}},
		{"no network", "0.0.0.0:8081", "", nil, []string{"  Local:   http://localhost:8081/", "  Network: no network address found; phones cannot join until this computer is on a network"}},
		{"loopback only", "127.0.0.1:9000", "", wifi, []string{"  Local:   http://localhost:9000/", "  Network: none: the server listens on this computer only; start it with -addr :9000"}},
		{"one address", "192.168.1.20:8080", "", wifi, []string{"  Local:   http://192.168.1.20:8080/", "  Network: http://192.168.1.20:8080/"}},
		{"public URL", "[::]:8080", "https://withboard.example.org", wifi, []string{"  Network: http://192.168.1.20:8080/", "  Public:  https://withboard.example.org/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			printWhere(&out, net.TCPAddrFromAddrPort(netip.MustParseAddrPort(tt.listen)), tt.public, tt.ifaces)
			for _, want := range tt.want {
				if !strings.Contains(out.String(), want) {
					t.Errorf("got\n%s\nwant a line starting %q", out.String(), want)
				}
			}
		})
	}
}

// newLinkServer serves a fresh embedded store with cfg; ifaces stand for
// the machine's interfaces.
func newLinkServer(t *testing.T, cfg config, ifaces []ifaceAddrs) *httptest.Server {
	t.Helper()
	store, err := hub.OpenEmbedded(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := hub.New(store, hub.Config{}, log)
	ws := client.NewHandler(h, client.Config{}, log)
	cfg.interfaces = func() ([]ifaceAddrs, error) { return ifaces, nil }
	srv := httptest.NewServer(routes(cfg, h, ws, newMetrics(), log))
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h.Shutdown(ctx)
		store.Close()
	})
	return srv
}

// TestJoinLinks: without a public URL, the create answer, the links route
// and the QR code carry an address phones can reach: the one the browser
// used unless it is loopback, else the machine's LAN address on the same
// port, and say when there is none but loopback. With a public URL they
// carry it, whatever Host the request claims.
func TestJoinLinks(t *testing.T) {
	wifi := []ifaceAddrs{{"lo", loopback, addrs("127.0.0.1")}, {"docker0", up, addrs("172.17.0.1")}, {"wlan0", up, addrs("192.168.1.20")}}
	tests := []struct {
		name     string
		public   string
		ifaces   []ifaceAddrs
		host     string // the request's Host; "" for the server's own address
		base     string // want; "" for the server's own, "LAN" for 192.168.1.20 on its port
		loopback bool
	}{
		{"loopback with a LAN", "", wifi, "", "LAN", false},
		{"localhost with a LAN", "", wifi, "localhost", "LAN", false},
		{"loopback without a network", "", nil, "", "", true},
		{"opened at its network address", "", wifi, "192.168.1.30:8080", "http://192.168.1.30:8080", false},
		{"opened by name", "", nil, "laptop.example:8080", "http://laptop.example:8080", false},
		{"public URL, loopback", "https://withboard.example.org", wifi, "", "https://withboard.example.org", false},
		{"public URL, hostile Host", "https://withboard.example.org", wifi, "evil.example", "https://withboard.example.org", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newLinkServer(t, config{publicURL: tt.public}, tt.ifaces)
			port := srv.Listener.Addr().(*net.TCPAddr).Port
			want := tt.base
			switch want {
			case "":
				want = srv.URL
			case "LAN":
				want = "http://" + net.JoinHostPort("192.168.1.20", strconv.Itoa(port))
			}
			do := func(method, path, key, body string) (*http.Response, []byte) {
				t.Helper()
				req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
				if tt.host != "" {
					req.Host = tt.host
				}
				if key != "" {
					req.Header.Set("Authorization", "Bearer "+key)
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				return res, b
			}

			res, body := do("POST", "/api/workshops", "", `{"title":"Links"}`)
			var c struct {
				ID, Code, FacilitatorKey, JoinURL, WallURL, FacilitatorURL string
				Loopback                                                   *bool
			}
			if err := json.Unmarshal(body, &c); err != nil || res.StatusCode != http.StatusCreated {
				t.Fatalf("create: %d %s %v", res.StatusCode, body, err)
			}
			if c.JoinURL != want+"/j/"+c.Code || c.WallURL != want+"/w/"+c.Code {
				t.Errorf("create: joinUrl %q, wallUrl %q; want them on %s", c.JoinURL, c.WallURL, want)
			}
			if c.Loopback == nil || *c.Loopback != tt.loopback {
				t.Errorf("create: loopback %v, want %v", c.Loopback, tt.loopback)
			}
			if c.FacilitatorURL != tt.public+"/f/"+c.ID+"#key="+c.FacilitatorKey {
				t.Errorf("create: facilitatorUrl %q", c.FacilitatorURL)
			}

			if res, _ := do("GET", "/api/workshops/"+c.ID+"/links", "", ""); res.StatusCode != http.StatusUnauthorized {
				t.Errorf("links without the key: got %d, want 401", res.StatusCode)
			}
			if res, _ := do("GET", "/api/workshops/"+c.ID+"/links", "wrong", ""); res.StatusCode != http.StatusForbidden {
				t.Errorf("links with a wrong key: got %d, want 403", res.StatusCode)
			}
			res, body = do("GET", "/api/workshops/"+c.ID+"/links", c.FacilitatorKey, "")
			var l map[string]any
			if err := json.Unmarshal(body, &l); err != nil || res.StatusCode != http.StatusOK {
				t.Fatalf("links: %d %s", res.StatusCode, body)
			}
			wantLinks := map[string]any{"joinUrl": want + "/j/" + c.Code, "wallUrl": want + "/w/" + c.Code, "facilitatorUrl": want + "/f/" + c.ID, "loopback": tt.loopback}
			for k, v := range wantLinks {
				if l[k] != v {
					t.Errorf("links %s: got %v, want %v", k, l[k], v)
				}
			}
			if len(l) != len(wantLinks) {
				t.Errorf("links: got %v, want only %v", l, wantLinks)
			}

			res, body = do("GET", "/api/workshops/"+c.Code+"/qr.svg", "", "")
			code, err := qr.Encode(want+"/j/"+c.Code, qr.M)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != http.StatusOK || string(body) != qrSVG(code) {
				t.Errorf("qr: got %d, not the code of %s", res.StatusCode, want+"/j/"+c.Code)
			}
		})
	}
}
