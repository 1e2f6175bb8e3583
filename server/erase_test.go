package main

import (
	"bytes"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
)

// filesHolding lists the files under dir that hold text.
func filesHolding(t *testing.T, dir, text string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(text)) {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEraseOnDelete deletes a card, a participant's cards and a workshop
// on a real server and reads every file of the data directory after each
// answer, and again after kill -9 right after the last: no file holds the
// deleted text, and what was not deleted is still there after a restart.
func TestEraseOnDelete(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	dir := t.TempDir()
	p := startProcess(t, nil, "-data", dir)
	w := createWorkshop(t, p.URL, "Erase")
	fac := dial(t, p.URL)
	fac.join(map[string]any{"code": w.Code, "key": w.FacilitatorKey})
	phone := dial(t, p.URL)
	phone.join(map[string]any{"code": w.Code, "role": "serviceUser"})
	other := dial(t, p.URL)
	other.join(map[string]any{"code": w.Code, "role": "serviceUser"})

	secret := func() string { return "secret " + uuid.NewString() }
	acked := func(c *wsClient, op map[string]any) {
		t.Helper()
		if _, code := c.ack(c.op(op)); code != "" {
			t.Fatalf("%s refused: %s", op["kind"], code)
		}
	}
	wantErased := func(when, text string) {
		t.Helper()
		if files := filesHolding(t, dir, text); len(files) > 0 {
			t.Errorf("%s: %q is still in %v", when, text, files)
		}
	}
	kept := "kept " + uuid.NewString()
	acked(phone, addCard(kept, nil, nil))

	card, edited := secret(), secret()
	add := addCard(card, nil, nil)
	acked(phone, add)
	id := add["card"].(map[string]any)["id"]
	acked(phone, map[string]any{"kind": "card.edit", "cardId": id, "text": edited})
	if len(filesHolding(t, dir, edited)) == 0 {
		t.Fatal("the edited text is in no file before the delete: the test would prove nothing")
	}
	acked(phone, map[string]any{"kind": "card.delete", "cardId": id})
	wantErased("after card.delete", card)
	wantErased("after card.delete", edited)

	theirs := secret()
	acked(other, addCard(theirs, nil, nil))
	acked(fac, map[string]any{"kind": "participant.remove", "participantId": other.you.ID, "removeCards": true})
	wantErased("after participant.remove with their cards", theirs)

	gone := createWorkshop(t, p.URL, "Erase the workshop")
	c := dial(t, p.URL)
	c.join(map[string]any{"code": gone.Code, "role": "serviceUser"})
	whole := secret()
	acked(c, addCard(whole, nil, nil))
	req, _ := http.NewRequest(http.MethodDelete, p.URL+"/api/workshops/"+gone.ID, nil)
	req.Header.Set("Authorization", "Bearer "+gone.FacilitatorKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE workshop: %v %v, want 204", res.StatusCode, err)
	}
	res.Body.Close()
	wantErased("after DELETE of the workshop", whole)
	p.kill()

	for _, text := range []string{card, edited, theirs, whole} {
		wantErased("after kill -9", text)
	}
	p = startProcess(t, nil, "-data", dir)
	if texts := cardTexts(t, p.URL, w.Code); !texts[kept] || len(texts) != 1 {
		t.Errorf("after a restart: cards %v, want only %q", texts, kept)
	}
}
