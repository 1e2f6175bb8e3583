package hub

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/withboard/withboard/hub/board"
)

// dirHolds reports whether a file under dir holds text.
func dirHolds(t *testing.T, dir, text string) bool {
	t.Helper()
	found := false
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		found = found || bytes.Contains(data, []byte(text))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestEmbeddedCardDeleteErases: once a card.delete is durable, its card's
// text is in no file, whether it was in bbolt (checkpointed) or only in
// the log; the entries still replay to the same board, with the text
// blank.
func TestEmbeddedCardDeleteErases(t *testing.T) {
	dir := t.TempDir()
	s := openEmbedded(t, dir)
	w := storeWorkshop(t, s)
	text, edit := "secret "+uuid.NewString(), "secret "+uuid.NewString()
	e := storeEntry(0)
	e.Op = board.Op{Kind: board.KindCardAdd, Card: &board.CardInput{ID: "c1", Text: text}}
	if _, err := s.Append(t.Context(), w.ID, 0, e); err != nil {
		t.Fatal(err)
	}
	if err := s.checkpoint(false); err != nil { // the add is in bbolt, the edit only in the log
		t.Fatal(err)
	}
	e = storeEntry(0)
	e.Op = board.Op{Kind: board.KindCardEdit, CardID: "c1", Text: &edit}
	if _, err := s.Append(t.Context(), w.ID, 1, e); err != nil {
		t.Fatal(err)
	}
	if !dirHolds(t, dir, text) || !dirHolds(t, dir, edit) {
		t.Fatal("the text is in no file before the delete: the test would prove nothing")
	}
	del := storeEntry(0)
	del.Op = board.Op{Kind: board.KindCardDelete, CardID: "c1"}
	if _, err := s.Append(t.Context(), w.ID, 2, del); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{text, edit} {
		if dirHolds(t, dir, want) {
			t.Errorf("after the delete is durable, %q is still in a file", want)
		}
	}
	es, err := s.Entries(t.Context(), w.ID, 0)
	if err != nil || len(es) != 3 {
		t.Fatalf("Entries = %d, %v; want 3", len(es), err)
	}
	if es[0].Op.Card.Text != "" || *es[1].Op.Text != "" {
		t.Errorf("deleted card's entries: %q, %q; want the text blank", es[0].Op.Card.Text, *es[1].Op.Text)
	}
	if v, err := s.Append(t.Context(), w.ID, 3, del); err == nil || v != 3 {
		t.Errorf("delete sent again = %d, %v; want 3, ErrDuplicate", v, err)
	}
}
