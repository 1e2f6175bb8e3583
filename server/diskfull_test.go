//go:build linux

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/withboard/withboard/hub/board"
)

// smallDisk is the size of the file system the disk-full test fills.
const smallDisk = "size=2m"

// mountSmallDisk mounts a small tmpfs for the test, or skips it when this
// machine does not let the test mount one.
func mountSmallDisk(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, smallDisk); err != nil {
		t.Skipf("mount a small tmpfs to fill (needs root, or CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount the small tmpfs: %v", err)
		}
	})
	return dir
}

// fillDisk writes a file into dir until the file system is full.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill the disk: %v", err)
			}
			return path
		}
	}
}

// answerOf reads frames until the answer to op id, as a phone would: the
// version if acknowledged, else the nack's code and message. closed says
// the server then ended the connection (after an error frame), as a room
// does when an op in flight could not be kept.
func answerOf(t *testing.T, c *wsClient, id string) (v int64, code, message string) {
	t.Helper()
	for {
		var f map[string]json.RawMessage
		select {
		case got, ok := <-c.frames:
			if !ok {
				t.Fatalf("connection closed before the answer to %s", id)
			}
			f = got
		case <-time.After(frameWait):
			t.Fatalf("no answer to %s within %v", id, frameWait)
		}
		if t := str(f["t"]); (t == "ack" || t == "nack") && str(f["id"]) == id {
			json.Unmarshal(f["v"], &v)
			return v, str(f["code"]), str(f["message"])
		}
	}
}

// readyz is the status /readyz answers.
func readyz(t *testing.T, base string) int {
	t.Helper()
	res, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatalf("GET /readyz: %v", err)
	}
	res.Body.Close()
	return res.StatusCode
}

// cardTexts joins the workshop as a new phone and returns the texts of
// the cards it is shown.
func cardTexts(t *testing.T, base, code string) map[string]bool {
	t.Helper()
	c := dial(t, base)
	defer c.ws.Close()
	return boardTexts(t, c.join(map[string]any{"code": code, "role": "staff"}))
}

// TestDiskFull runs the server on a small file system and fills it: ops
// are refused as unavailable and /readyz says 503, nothing acknowledged is
// lost; once space is freed the server serves again without a restart,
// the refused op sent again is kept, and all of it survives kill -9.
func TestDiskFull(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary on a tmpfs")
	}
	disk := mountSmallDisk(t)
	dir := filepath.Join(disk, "data")
	p := startProcess(t, nil, "-data", dir)
	w := createWorkshop(t, p.URL, "Disk full")
	c := dial(t, p.URL)
	c.join(map[string]any{"code": w.Code, "role": "serviceUser"})
	var acked []string
	add := func(text string) (string, map[string]any, int64, string, string) {
		op := addCard(text, nil, nil)
		id := c.op(op)
		v, code, msg := answerOf(t, c, id)
		if code == "" {
			acked = append(acked, text)
		}
		return id, op, v, code, msg
	}
	for i := range 3 {
		if _, _, _, code, _ := add(fmt.Sprint("before ", i)); code != "" {
			t.Fatalf("op refused before the disk is full: %s", code)
		}
	}

	filler := fillDisk(t, disk)
	// The log's last page may have room for a few more records: send until
	// one is refused.
	var refusedID string
	var refused map[string]any
	for i := 0; refusedID == ""; i++ {
		if i == 100 {
			t.Fatal("100 ops acknowledged on a full disk; want them refused")
		}
		id, op, _, code, msg := add(fmt.Sprintf("full %02d %s", i, strings.Repeat("x", 250)))
		switch {
		case code == "":
		case code != board.CodeUnavailable || msg == "":
			t.Fatalf("op on a full disk: got %q (%q), want unavailable with a message", code, msg)
		default:
			refusedID, refused = id, op
		}
	}
	if got := readyz(t, p.URL); got != http.StatusServiceUnavailable {
		t.Fatalf("/readyz on a full disk: got %d, want 503", got)
	}
	// The phone comes back (the room may have closed it to reload) and
	// sends again: still refused, clearly, while the disk is full.
	token := c.you.Token
	c = dial(t, p.URL)
	c.join(map[string]any{"code": w.Code, "token": token})
	c.sendJSON(map[string]any{"t": "op", "id": refusedID, "op": refused})
	if _, code, msg := answerOf(t, c, refusedID); code != board.CodeUnavailable || msg == "" {
		t.Fatalf("op sent again on a full disk: got %q (%q), want unavailable with a message", code, msg)
	}
	if texts := cardTexts(t, p.URL, w.Code); len(texts) != len(acked) {
		t.Fatalf("board on a full disk: %d cards, want the %d acknowledged", len(texts), len(acked))
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); readyz(t, p.URL) != http.StatusOK; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("/readyz not 200 within 20s of freeing the disk")
		}
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		c.sendJSON(map[string]any{"t": "op", "id": refusedID, "op": refused})
		if _, code, _ := answerOf(t, c, refusedID); code == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("op sent again still refused 20s after the disk was freed")
		}
	}
	acked = append(acked, refused["card"].(map[string]any)["text"].(string))
	if _, _, _, code, _ := add("after"); code != "" {
		t.Fatalf("op after the disk was freed: refused %s", code)
	}

	want := func(when string, texts map[string]bool) {
		t.Helper()
		if len(texts) != len(acked) {
			t.Errorf("%s: %d cards, want %d", when, len(texts), len(acked))
		}
		for _, text := range acked {
			if !texts[text] {
				t.Errorf("%s: acknowledged card %.12q missing", when, text)
			}
		}
	}
	want("after the disk was freed", cardTexts(t, p.URL, w.Code))
	p.kill()
	p = startProcess(t, nil, "-data", dir)
	want("after kill -9 and a restart", cardTexts(t, p.URL, w.Code))
}
