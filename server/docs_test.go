package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// maxReadmeLines keeps README.md a manual, not a diary.
const maxReadmeLines = 250

// mdLink matches a Markdown link or image, [text](target) or
// ![text](target), capturing the target up to a space or the closing
// parenthesis (so a title after the target is left out).
var mdLink = regexp.MustCompile(`!?\[[^\]]*\]\(([^)\s]+)[^)]*\)`)

// TestDocs checks the documents of the repository: every relative link in
// README.md and docs/*.md names a file that exists, README.md stays short,
// and it shows the test command that .ci/test runs.
func TestDocs(t *testing.T) {
	docs, err := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := filepath.Join("..", "README.md")
	docs = append([]string{readme}, docs...)

	t.Run("links", func(t *testing.T) {
		for _, doc := range docs {
			text, err := os.ReadFile(doc)
			if err != nil {
				t.Fatal(err)
			}
			for _, target := range relativeLinks(string(text)) {
				path := filepath.Join(filepath.Dir(doc), filepath.FromSlash(target))
				if _, err := os.Stat(path); err != nil {
					t.Errorf("got missing file %s linked from %s", target, doc)
				}
			}
		}
	})

	text, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("readme length", func(t *testing.T) {
		if n := strings.Count(string(text), "\n"); n >= maxReadmeLines {
			t.Errorf("got README.md of %d lines, want under %d", n, maxReadmeLines)
		}
	})

	t.Run("readme shows the test command", func(t *testing.T) {
		script, err := os.ReadFile(filepath.Join("..", ".ci", "test"))
		if err != nil {
			t.Fatal(err)
		}
		cmd := lastLine(string(script))
		if cmd == "" {
			t.Fatal("got an empty .ci/test, want the test command as its last line")
		}
		for _, line := range strings.Split(string(text), "\n") {
			if strings.TrimSpace(line) == cmd {
				return
			}
		}
		t.Errorf("got no line %q in README.md, want the last line of .ci/test shown there", cmd)
	})
}

// relativeLinks returns the targets of the Markdown links and images in
// text that point at files of the repository: no scheme, no mailto, no
// bare #anchor, and without any #anchor they end with.
func relativeLinks(text string) []string {
	var out []string
	for _, m := range mdLink.FindAllStringSubmatch(text, -1) {
		target := m[1]
		if strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") ||
			strings.HasPrefix(target, "mailto:") || strings.HasPrefix(target, "#") {
			continue
		}
		if i := strings.Index(target, "#"); i >= 0 {
			target = target[:i]
		}
		out = append(out, target)
	}
	return out
}

// lastLine is the last line of s that is not blank, trimmed.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func TestRelativeLinks(t *testing.T) {
	text := "See [the protocol](docs/protocol.md#joining), ![a shot](img/a.png \"title\"),\n" +
		"[site](https://example.org/x), [mail](mailto:a@b.c), [here](#exports) and [raw](http://h/y)."
	got := relativeLinks(text)
	want := []string{"docs/protocol.md", "img/a.png"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got %q, want %q", got, want)
	}
}
