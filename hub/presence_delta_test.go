package hub

import (
	"encoding/json"
	"testing"

	"github.com/google/uuid"

	"github.com/withboard/withboard/hub/board"
)

// presenceFrames returns the presence frames a member got, decoded.
func presenceFrames(m *inbox) []map[string]json.RawMessage {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []map[string]json.RawMessage
	for _, f := range m.frames {
		var x map[string]json.RawMessage
		json.Unmarshal(f, &x)
		if string(x["t"]) == `"presence"` {
			out = append(out, x)
		}
	}
	return out
}

// TestPresenceDeltasAndLeanList: a member that asks for deltas gets the
// whole list once, then only who changed and who is gone; applying them
// gives the same list as a member reading whole lists. Someone who leaves
// with nothing on the board drops out of the list; someone who leaves
// with a card stays in it, offline.
func TestPresenceDeltasAndLeanList(t *testing.T) {
	h, w, _, whole := openWorkshop(t, openTestEmbedded(t), board.RoleStaff)
	deltas := newInbox()
	if _, err := h.Join(t.Context(), w.Code, JoinRequest{Role: board.RoleServiceUser, PresenceDelta: true}, deltas); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, func() bool { return len(presenceFrames(deltas)) > 0 })
	if _, ok := presenceFrames(deltas)[0]["people"]; !ok {
		t.Fatalf("the first presence frame of a delta member is not the whole list: %v", presenceFrames(deltas)[0])
	}

	passer, _, _ := joinWelcomed(t, h, w.Code, board.RoleServiceUser)
	writer, wm, from := joinWelcomed(t, h, w.Code, board.RoleStaff)
	add := uuid.NewString()
	writer.Submit(add, board.Op{Kind: board.KindCardAdd, Card: &board.CardInput{ID: uuid.NewString(), Text: "stays"}})
	wm.waitFor(t, "ack", &from)
	passer.Leave()
	writer.Leave()

	// Apply the deltas to the first whole list.
	replay := func() map[string]board.Person {
		list := map[string]board.Person{}
		for i, f := range presenceFrames(deltas) {
			if i == 0 {
				var people []board.Person
				json.Unmarshal(f["people"], &people)
				for _, p := range people {
					list[p.ID] = p
				}
				continue
			}
			if _, ok := f["people"]; ok {
				t.Fatalf("a delta member got a whole list after its first: %v", f)
			}
			var changed []board.Person
			var gone []string
			json.Unmarshal(f["changed"], &changed)
			json.Unmarshal(f["gone"], &gone)
			for _, id := range gone {
				delete(list, id)
			}
			for _, p := range changed {
				list[p.ID] = p
			}
		}
		return list
	}
	lastWhole := func() map[string]board.Person {
		frames := presenceFrames(whole)
		list := map[string]board.Person{}
		if len(frames) == 0 {
			return list
		}
		var people []board.Person
		json.Unmarshal(frames[len(frames)-1]["people"], &people)
		for _, p := range people {
			list[p.ID] = p
		}
		return list
	}
	waitUntil(t, func() bool {
		got := lastWhole()
		p, in := got[writer.You().ID]
		_, passerIn := got[passer.You().ID]
		return in && !p.Online && !passerIn
	})
	waitUntil(t, func() bool {
		want, got := lastWhole(), replay()
		if len(want) != len(got) {
			return false
		}
		for id, p := range want {
			if got[id] != p {
				return false
			}
		}
		return true
	})
}
