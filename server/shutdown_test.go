package main

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// TestGracefulShutdown sends SIGTERM to a real server with people
// connected: each gets bye (draining), the process exits in time, and a
// restart on the same data has every acknowledged op.
func TestGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	dir := t.TempDir()
	p := startProcess(t, nil, "-data", dir, "-shutdown-timeout", "5s")
	w := createWorkshop(t, p.URL, "Draining")
	clients := make([]*wsClient, 3)
	for i := range clients {
		clients[i] = dial(t, p.URL)
		clients[i].join(map[string]any{"code": w.Code, "role": "staff"})
	}
	for i, c := range clients {
		for j := range 10 {
			if _, code := c.ack(c.op(addCard(fmt.Sprint(i, "-", j), "review", "participation"))); code != "" {
				t.Fatalf("op refused: %s", code)
			}
		}
	}
	start := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	for i, c := range clients {
		if f := c.expect("bye"); str(f["reason"]) != "draining" {
			t.Errorf("client %d: bye reason %q, want draining", i, f["reason"])
		}
	}
	exited := make(chan error, 1)
	go func() { exited <- p.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("server exited with %v, want a clean exit", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not exit within 10s of SIGTERM")
	}
	t.Logf("exited %v after SIGTERM", time.Since(start).Round(time.Millisecond))

	p2 := startProcess(t, nil, "-data", dir)
	late := dial(t, p2.URL)
	welcome := late.join(map[string]any{"code": w.Code, "role": "serviceUser"})
	if got := string(welcome["v"]); got != "30" {
		t.Fatalf("after restart: version %s, want 30", got)
	}
}
