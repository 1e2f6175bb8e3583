package main

import (
	"fmt"
	"testing"

	"github.com/withboard/withboard/hub/board"
)

// TestMetricsCountJoinsAndOps checks that /metrics counts what rooms do:
// joins answered, ops accepted and store calls.
func TestMetricsCountJoinsAndOps(t *testing.T) {
	srv := newEmbeddedServer(t)
	w := createWorkshop(t, srv.URL, "Metrics")
	before := metric(t, srv.URL, "withboard_join_seconds_count")
	a := dial(t, srv.URL)
	a.join(map[string]any{"code": w.Code, "role": "staff"})
	b := dial(t, srv.URL)
	b.join(map[string]any{"code": w.Code, "role": "serviceUser"})
	// A join is counted once the room is done with it, just after its
	// welcome is on the way.
	eventually(t, "join count", func() error {
		if got := metric(t, srv.URL, "withboard_join_seconds_count"); got != before+2 {
			return fmt.Errorf("withboard_join_seconds_count = %v after two joins, want %v: %w", got, before+2, errNotYet)
		}
		return nil
	})
	if _, code := a.ack(a.op(addCard("Ask people first", board.Stages[0], board.Levels[0]))); code != "" {
		t.Fatalf("add card: %s", code)
	}
	if got := metric(t, srv.URL, `withboard_ops_total{result="accepted"}`); got != 1 {
		t.Errorf(`withboard_ops_total{result="accepted"} = %v after one op, want 1`, got)
	}
	if got := metric(t, srv.URL, `withboard_store_seconds_count{call="append"}`); got < 1 {
		t.Errorf(`withboard_store_seconds_count{call="append"} = %v after one op, want at least 1`, got)
	}
}
