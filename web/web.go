// Package web holds Withboard's browser pages and their assets, embedded in
// the binary so that the server needs no files beside it and no build step.
package web

import (
	"embed"
	"io/fs"
)

//go:embed static
var static embed.FS

// FS is the tree of pages and assets, rooted at the static folder:
// index.html, join.html, facilitator.html, wall.html, css/ and js/.
var FS fs.FS = mustSub(static, "static")

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic("web: " + err.Error())
	}
	return sub
}
