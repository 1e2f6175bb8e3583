package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// maxPhoneWeight is what the phone page may cost a slow connection: all it
// loads (HTML, every script module, CSS), compressed.
const maxPhoneWeight = 100 << 10

// TestBrowserPageWeight: everything the phone page makes the browser
// request, from the join screen to the live board, weighs under 100 KB
// compressed, and every request goes to the server itself.
func TestBrowserPageWeight(t *testing.T) {
	srv := newEmbeddedServer(t)
	w := createWorkshop(t, srv.URL, "Light")
	b := newBrowser(t, srv.URL)
	p := b.open("phone", phoneW, phoneH)

	var mu sync.Mutex
	requested := map[string]bool{}
	listen := func(ev any) {
		if ev, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requested[ev.Request.URL] = true
			mu.Unlock()
		}
	}
	if err := chromedp.Listen(p.ctx, listen); err != nil {
		t.Fatal(err)
	}
	p.goTo("/j/"+w.Code, `!document.getElementById('join-screen').hidden`)
	p.tap(`input[name=role][value=staff]`)
	p.tap(`#join-form button[type=submit]`)
	p.waitLive()
	p.addCard("Light pages for slow phones", "")
	p.waitSent()

	mu.Lock()
	urls := make([]string, 0, len(requested))
	for u := range requested {
		urls = append(urls, u)
	}
	mu.Unlock()
	sort.Strings(urls)
	server, _ := url.Parse(srv.URL)
	total, raw := 0, 0
	var kinds []string
	for _, u := range urls {
		parsed, err := url.Parse(u)
		if err != nil {
			t.Errorf("request to %q: %v", u, err)
			continue
		}
		if parsed.Scheme == "data" {
			continue // inline, costs nothing on the wire
		}
		if parsed.Host != server.Host {
			t.Errorf("the phone page requested %s, on a host other than the server (%s)", u, server.Host)
			continue
		}
		if parsed.Scheme == "ws" {
			continue // the live connection, not a download
		}
		body := get(t, u)
		raw += len(body)
		total += gzipped(t, body)
		kinds = append(kinds, parsed.Path)
	}
	if !hasPrefix(kinds, "/static/js/") || !hasPrefix(kinds, "/static/css/") || !hasPrefix(kinds, "/j/") {
		t.Fatalf("requests seen: %v; want the page, its scripts and its styles", kinds)
	}
	t.Logf("phone page: %d requests, %d bytes, %d bytes gzipped", len(kinds), raw, total)
	if total > maxPhoneWeight {
		t.Errorf("phone page weighs %d bytes gzipped, want at most %d", total, maxPhoneWeight)
	}
}

func get(t *testing.T, u string) []byte {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, %v", u, res.StatusCode, err)
	}
	return body
}

func gzipped(t *testing.T, b []byte) int {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Len()
}

func hasPrefix(paths []string, prefix string) bool {
	for _, p := range paths {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}
