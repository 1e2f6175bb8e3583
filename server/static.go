package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

// asset is one embedded file, ready to send: gzipped once at start for
// phones on slow networks, and named by an ETag so a return visit costs a
// 304 instead of the file.
type asset struct {
	plain, gz []byte
	etag      string
	ctype     string
}

// assets are the embedded pages and files, by path in the file system.
type assets map[string]*asset

// loadAssets reads and compresses every file of fsys.
func loadAssets(fsys fs.FS) (assets, error) {
	out := assets{}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		zw.Write(data)
		zw.Close()
		sum := sha256.Sum256(data)
		ctype := mime.TypeByExtension(path.Ext(name))
		if ctype == "" {
			ctype = http.DetectContentType(data)
		}
		out[name] = &asset{plain: data, gz: gz.Bytes(), etag: `"` + hex.EncodeToString(sum[:12]) + `"`, ctype: ctype}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load embedded pages: %w", err)
	}
	return out, nil
}

// serve sends the asset called name, or 404.
func (as assets) serve(w http.ResponseWriter, r *http.Request, name string) {
	a := as[name]
	if a == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", "no-cache") // always revalidate: a deploy is seen at once
	h.Set("ETag", a.etag)
	h.Set("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.plain
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// acceptsGzip says whether the client takes gzip.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}

// page serves one embedded page, whatever the path's parameters.
func (as assets) page(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { as.serve(w, r, name) }
}

// files serves /static/{path...}.
func (as assets) files(w http.ResponseWriter, r *http.Request) {
	as.serve(w, r, r.PathValue("path"))
}
