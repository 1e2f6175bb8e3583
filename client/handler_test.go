package client

import (
	"net/http/httptest"
	"testing"
)

// TestSameOrigin: a request without Origin (not a browser), from the
// server's own host, from the public URL's host or from a configured
// origin may connect; any other page may not.
func TestSameOrigin(t *testing.T) {
	x := &Handler{cfg: Config{
		PublicHost:     "withboard.example.org",
		AllowedOrigins: []string{"https://partner.example/", "http://localhost:5173"},
	}}
	tests := []struct {
		origin, host string
		want         bool
	}{
		{"", "10.0.0.5:8080", true},
		{"http://10.0.0.5:8080", "10.0.0.5:8080", true},
		{"HTTP://10.0.0.5:8080", "10.0.0.5:8080", true},
		{"https://WITHBOARD.example.org", "internal:8080", true},
		{"https://partner.example", "internal:8080", true},
		{"http://localhost:5173", "internal:8080", true},
		{"https://evil.example", "10.0.0.5:8080", false},
		{"http://10.0.0.5:9090", "10.0.0.5:8080", false},
		{"https://withboard.example.org.evil.example", "internal:8080", false},
		{"https://partner.example.evil", "internal:8080", false},
		{"http://localhost:5174", "internal:8080", false},
		{"null", "10.0.0.5:8080", false},
		{"not a url", "10.0.0.5:8080", false},
		{"://", "10.0.0.5:8080", false},
	}
	for _, tt := range tests {
		t.Run(tt.origin, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://"+tt.host+"/ws", nil)
			r.Host = tt.host
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if got := x.sameOrigin(r); got != tt.want {
				t.Fatalf("origin %q on host %q: got %v, want %v", tt.origin, tt.host, got, tt.want)
			}
		})
	}
}

// TestSameOriginWithoutPublicHost: with no public URL configured, an
// empty host does not match an Origin that has none.
func TestSameOriginWithoutPublicHost(t *testing.T) {
	x := &Handler{}
	r := httptest.NewRequest("GET", "/ws", nil)
	r.Host = ""
	r.Header.Set("Origin", "file://")
	if x.sameOrigin(r) {
		t.Fatal("an origin without host was accepted, want refused")
	}
}
