package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestHostileSoakShort builds the server, starts it on the embedded store
// with a small workshop capacity, and runs a five-second hostile soak
// against it: no op may be lost, and every attack must meet its refusal.
func TestHostileSoakShort(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server for a few seconds")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "withboard")
	build := exec.Command("go", "build", "-o", bin, "github.com/withboard/withboard/server")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the server: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := exec.CommandContext(ctx, bin, "-addr", "127.0.0.1:0", "-data", filepath.Join(dir, "data"), "-max-participants", "200")
	stdout, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		srv.Process.Signal(os.Interrupt)
		srv.Wait()
	}()
	url := ""
	sc := bufio.NewScanner(stdout)
	for url == "" && sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
			url = u
		}
	}
	if url == "" {
		t.Fatal("the server did not say where it listens")
	}
	go func() {
		for sc.Scan() {
		}
	}()

	var out bytes.Buffer
	err = run(ctx, []string{"-hostile", "-url", url, "-pid", strconv.Itoa(srv.Process.Pid), "-duration", "5s"}, &out)
	t.Logf("\n%s", out.String())
	if err != nil {
		t.Fatalf("got %v, want a soak with no lost op", err)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^lost ops +0 acknowledged ops missing at an honest phone, 0 versions`),
		regexp.MustCompile(`(?m)^attack ops +0 reached`),
		regexp.MustCompile(`(?m)^join flood .*\bfull [1-9]`),
		regexp.MustCompile(`(?m)^guess http .*\b429 [1-9]`),
		regexp.MustCompile(`(?m)^oversized .*join: close 1009 [1-9].*|^oversized .*op: close 1009 [1-9]`),
		regexp.MustCompile(`(?m)^malformed .*nack invalid [1-9]`),
		regexp.MustCompile(`(?m)^honest .*acked [1-9]`),
	} {
		if !want.Match(out.Bytes()) {
			t.Errorf("report: want a line matching %s", want)
		}
	}
}
