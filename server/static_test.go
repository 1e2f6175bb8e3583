package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"testing"

	"github.com/withboard/withboard/web"
)

// TestStaticFiles: pages and files go out gzipped when asked, plain when
// not, with an ETag that turns a repeat visit into a 304.
func TestStaticFiles(t *testing.T) {
	srv := newEmbeddedServer(t)
	want, err := fs.ReadFile(web.FS, "js/conn.js")
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{DisableCompression: true} // see the encoding as sent
	get := func(path string, header map[string]string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, body
	}
	res, body := get("/static/js/conn.js", map[string]string{"Accept-Encoding": "gzip, br"})
	if res.Header.Get("Content-Encoding") != "gzip" || res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Fatalf("gzip request: encoding %q type %q", res.Header.Get("Content-Encoding"), res.Header.Get("Content-Type"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(zr); string(got) != string(want) || len(body) >= len(want) {
		t.Fatalf("gzipped body: %d bytes unzipping to the file: %v", len(body), string(got) == string(want))
	}
	plain, body := get("/static/js/conn.js", nil)
	if plain.Header.Get("Content-Encoding") != "" || string(body) != string(want) {
		t.Fatal("plain request: want the file as it is")
	}
	etag := res.Header.Get("ETag")
	if etag == "" || res.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("caching headers: ETag %q Cache-Control %q", etag, res.Header.Get("Cache-Control"))
	}
	if again, _ := get("/static/js/conn.js", map[string]string{"If-None-Match": etag}); again.StatusCode != http.StatusNotModified {
		t.Fatalf("repeat visit: got %d, want 304", again.StatusCode)
	}
	w := createWorkshop(t, srv.URL, "Static")
	if page, _ := get("/j/"+w.Code, map[string]string{"Accept-Encoding": "gzip"}); page.StatusCode != 200 || page.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("join page: got %d %q, want 200 gzipped", page.StatusCode, page.Header.Get("Content-Encoding"))
	}
	if missing, _ := get("/static/js/nope.js", nil); missing.StatusCode != http.StatusNotFound {
		t.Fatalf("missing file: got %d, want 404", missing.StatusCode)
	}
}
