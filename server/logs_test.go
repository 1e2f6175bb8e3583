package main

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/withboard/withboard/client"
	"github.com/withboard/withboard/hub"
)

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestLogsKeepSecrets runs a session with debug logs on and checks that
// they carry workshop ids, and never card text, names, keys or tokens.
func TestLogsKeepSecrets(t *testing.T) {
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store, err := hub.OpenEmbedded(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	m := newMetrics()
	h := hub.New(store, hub.Config{Observer: m}, log)
	ws := client.NewHandler(h, client.Config{}, log)
	srv := httptest.NewServer(routes(config{}, h, ws, m, log))
	t.Cleanup(srv.Close)

	w := createWorkshop(t, srv.URL, "Secret title")
	fac := dial(t, srv.URL)
	fac.join(map[string]any{"code": w.Code, "key": w.FacilitatorKey, "name": "Frankie Facilitator"})
	p := dial(t, srv.URL)
	p.join(map[string]any{"code": w.Code, "role": "serviceUser", "name": "Pat Private"})
	p.ack(p.op(addCard("my very private idea", "plan", "consultation")))
	p.ws.WriteMessage(1, []byte(`{"t":"op","id":"x","op":{"kind":"card.add","card":{"text":"leaky text"}}}`))
	p.expect("nack")
	req, _ := http.NewRequest("DELETE", srv.URL+"/api/workshops/"+w.ID, nil)
	req.Header.Set("Authorization", "Bearer "+w.FacilitatorKey)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %v %v", res, err)
	}
	waitFrame(t, p, "error")
	h.Shutdown(t.Context())

	got := logs.String()
	if !strings.Contains(got, w.ID) {
		t.Errorf("logs never name the workshop id; want it for tracing:\n%s", got)
	}
	for _, secret := range []string{w.FacilitatorKey, p.you.Token, fac.you.Token, "my very private idea", "leaky text", "Pat Private", "Frankie Facilitator", "Secret title"} {
		if strings.Contains(got, secret) {
			t.Errorf("logs carry %q:\n%s", secret, got)
		}
	}
}
