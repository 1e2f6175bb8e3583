package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/withboard/withboard/hub/board"
)

// TestWorkshopAPI covers creating and finding workshops over HTTP.
func TestWorkshopAPI(t *testing.T) {
	srv := newEmbeddedServer(t)
	w := createWorkshop(t, srv.URL, "  Youth panel: what we measure  ")
	if w.Title != "Youth panel: what we measure" || len(w.Code) != 6 || w.FacilitatorKey == "" {
		t.Fatalf("created %+v: want trimmed title, 6-character code, a key", w)
	}
	if !strings.HasPrefix(w.JoinURL, "http://") || !strings.HasSuffix(w.JoinURL, "/j/"+w.Code) || w.FacilitatorURL != "/f/"+w.ID+"#key="+w.FacilitatorKey {
		t.Errorf("links: got %q %q", w.JoinURL, w.FacilitatorURL)
	}
	dashed := strings.ToLower(w.Code[:3] + "-" + w.Code[3:])
	tests := []struct {
		name, method, path, body string
		want                     int
	}{
		{"by code", "GET", "/api/workshops/" + w.Code, "", 200},
		{"lower case with dash", "GET", "/api/workshops/" + dashed, "", 200},
		{"by id", "GET", "/api/workshops/" + w.ID, "", 200},
		{"unknown code", "GET", "/api/workshops/ZZZZZZ", "", 404},
		{"empty title", "POST", "/api/workshops", `{"title":"   "}`, 400},
		{"long title", "POST", "/api/workshops", `{"title":"` + strings.Repeat("é", 121) + `"}`, 400},
		{"not json", "POST", "/api/workshops", `title=x`, 400},
		{"delete without key", "DELETE", "/api/workshops/" + w.ID, "", 401},
		{"health", "GET", "/healthz", "", 200},
		{"ready", "GET", "/readyz", "", 200},
		{"metrics", "GET", "/metrics", "", 200},
		{"landing page", "GET", "/", "", 200},
		{"join page", "GET", "/j/" + w.Code, "", 200},
		{"qr code", "GET", "/api/workshops/" + w.Code + "/qr.svg", "", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if res.StatusCode != tt.want {
				t.Fatalf("got status %d, want %d", res.StatusCode, tt.want)
			}
			if res.StatusCode >= 400 {
				var e struct {
					Error struct{ Code, Message string }
				}
				if json.NewDecoder(res.Body).Decode(&e); e.Error.Code == "" || e.Error.Message == "" {
					t.Errorf("error body lacks code and message")
				}
			}
		})
	}
	res, err := http.Get(srv.URL + "/api/workshops/" + dashed)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	json.NewDecoder(res.Body).Decode(&got)
	res.Body.Close()
	want := map[string]string{"id": w.ID, "code": w.Code, "title": w.Title, "phase": "open"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("show: got %v, want %v (and no secrets)", got, want)
	}
}

// TestConcurrentBursts has three people send bursts of ops at once; every
// client must see every version once, in order, and end with the same
// board as a late joiner's welcome.
func TestConcurrentBursts(t *testing.T) {
	eachStore(t, func(t *testing.T, newServer func(t *testing.T) *testServer) {
		srv := newServer(t)
		w := createWorkshop(t, srv.URL, "Bursts")
		roles := []string{"serviceUser", "staff", "serviceUser"}
		clients := make([]*wsClient, len(roles))
		for i, role := range roles {
			clients[i] = dial(t, srv.URL)
			clients[i].join(map[string]any{"code": w.Code, "name": fmt.Sprint("p", i), "role": role})
			clients[i].board = board.NewBoard()
		}
		const perClient = 60
		var wg sync.WaitGroup
		acked := make([][]int64, len(clients))
		for i, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(i), 7))
				var mine []string
				ids := make([]string, 0, perClient)
				for n := range perClient {
					var op map[string]any
					switch {
					case len(mine) == 0 || rng.IntN(3) == 0:
						op = addCard(fmt.Sprintf("idea %d from %d", n, i), board.Stages[rng.IntN(4)], board.Levels[rng.IntN(3)])
						mine = append(mine, op["card"].(map[string]any)["id"].(string))
					case rng.IntN(2) == 0:
						op = map[string]any{"kind": "card.move", "cardId": mine[rng.IntN(len(mine))], "stage": board.Stages[rng.IntN(4)], "level": board.Levels[rng.IntN(3)], "index": rng.IntN(4)}
					default:
						op = map[string]any{"kind": "card.vote", "cardId": mine[rng.IntN(len(mine))], "delta": 1}
					}
					ids = append(ids, c.op(op))
				}
				for _, id := range ids {
					v, code := c.ack(id)
					if code == "" {
						acked[i] = append(acked[i], v)
					} else if code != board.CodeInvalid { // votes past the budget are refused
						t.Errorf("client %d: op refused with %s", i, code)
					}
				}
			}()
		}
		wg.Wait()
		total := 0
		for _, a := range acked {
			total += len(a)
		}
		for i, c := range clients {
			for c.board.V < int64(total) {
				c.expect("op")
			}
			if c.board.V != int64(total) {
				t.Fatalf("client %d: at version %d, want %d", i, c.board.V, total)
			}
		}
		late := dial(t, srv.URL)
		welcome := late.join(map[string]any{"code": w.Code, "role": "staff"})
		var bv board.BoardView
		json.Unmarshal(welcome["board"], &bv)
		viewer := board.Viewer{ID: late.you.ID, Role: board.RoleStaff}
		for i, c := range clients {
			got := mustJSON(c.board.View(viewer, board.Workshop{}, nil).Cards)
			if string(got) != string(mustJSON(bv.Cards)) {
				t.Fatalf("client %d's board differs from the late joiner's:\n got %s\nwant %s", i, got, mustJSON(bv.Cards))
			}
		}
		if len(bv.Cards) == 0 {
			t.Fatal("no cards on the board")
		}
	})
}

// TestDuplicateOpID: an op id re-sent, by anyone, gets the original ack
// and makes no new version.
func TestDuplicateOpID(t *testing.T) {
	eachStore(t, func(t *testing.T, newServer func(t *testing.T) *testServer) {
		srv := newServer(t)
		w := createWorkshop(t, srv.URL, "Dupes")
		a, b := dial(t, srv.URL), dial(t, srv.URL)
		a.join(map[string]any{"code": w.Code, "role": "staff"})
		b.join(map[string]any{"code": w.Code, "role": "serviceUser"})
		add := addCard("once", nil, nil)
		frame := map[string]any{"t": "op", "id": "4b0e6f5e-2d5f-4c1e-9a57-1b5f9c1f2a10", "op": add}
		a.sendJSON(frame)
		v1, _ := a.ack("4b0e6f5e-2d5f-4c1e-9a57-1b5f9c1f2a10")
		a.sendJSON(frame)
		v2, code := a.ack("4b0e6f5e-2d5f-4c1e-9a57-1b5f9c1f2a10")
		b.sendJSON(frame)
		v3, code3 := b.ack("4b0e6f5e-2d5f-4c1e-9a57-1b5f9c1f2a10")
		if v1 != 1 || v2 != 1 || v3 != 1 || code != "" || code3 != "" {
			t.Fatalf("acks: got %d %d %d (%q %q), want 1 1 1", v1, v2, v3, code, code3)
		}
		next := a.op(addCard("twice", nil, nil))
		if v, _ := a.ack(next); v != 2 {
			t.Fatalf("next op: got version %d, want 2", v)
		}
	})
}

// TestResume: a token brings the same person back; since with the right
// epoch replays ops; a wrong epoch or a future since gets the board.
func TestResume(t *testing.T) {
	eachStore(t, func(t *testing.T, newServer func(t *testing.T) *testServer) {
		srv := newServer(t)
		w := createWorkshop(t, srv.URL, "Resume")
		a := dial(t, srv.URL)
		a.join(map[string]any{"code": w.Code, "name": "Sam", "role": "serviceUser"})
		first := a.op(addCard("mine", "plan", "consultation"))
		a.ack(first)
		a.ws.Close()

		other := dial(t, srv.URL)
		other.join(map[string]any{"code": w.Code, "role": "staff"})
		for i := range 3 {
			other.ack(other.op(addCard(fmt.Sprint("more ", i), "do", "conversation")))
		}

		tests := []struct {
			name      string
			since     any
			epoch     string
			wantOps   int // -1: want a board
			wantCards int
		}{
			{"since with epoch", 1, a.epoch, 3, 0},
			{"since at top", 4, a.epoch, 0, 0},
			{"wrong epoch", 1, "not-this-one", -1, 4},
			{"since past top", 9, a.epoch, -1, 4},
			{"no since", nil, "", -1, 4},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := dial(t, srv.URL)
				join := map[string]any{"code": w.Code, "token": a.you.Token, "role": "serviceUser", "epoch": tt.epoch}
				if tt.since != nil {
					join["since"] = tt.since
				}
				welcome := c.join(join)
				if c.you.ID != a.you.ID || c.you.Name != "Sam" {
					t.Fatalf("resumed as %+v, want %s (Sam)", c.you, a.you.ID)
				}
				_, hasBoard := welcome["board"]
				rawOps, hasOps := welcome["ops"]
				if tt.wantOps < 0 {
					var board board.BoardView
					json.Unmarshal(welcome["board"], &board)
					if !hasBoard || hasOps || len(board.Cards) != tt.wantCards {
						t.Fatalf("got board=%v ops=%v cards=%d, want a board of %d cards", hasBoard, hasOps, len(board.Cards), tt.wantCards)
					}
					if board.Cards[0].By != a.you.ID {
						t.Errorf("first card by %s, want the resumed person %s", board.Cards[0].By, a.you.ID)
					}
					return
				}
				var ops []board.OpView
				json.Unmarshal(rawOps, &ops)
				if hasBoard || !hasOps || len(ops) != tt.wantOps {
					t.Fatalf("got board=%v ops=%d, want %d ops", hasBoard, len(ops), tt.wantOps)
				}
				for i, op := range ops {
					if op.V != int64(2+i) {
						t.Errorf("ops[%d].v = %d, want %d", i, op.V, 2+i)
					}
				}
			})
		}
	})
}

// TestPresence: everyone who joined is listed, online while connected,
// offline once gone, and the list reaches the others as it changes.
func TestPresence(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, newServer func(t *testing.T) *testServer) {
		srv := newServer(t)
		w := createWorkshop(t, srv.URL, "Presence")
		a := dial(t, srv.URL)
		a.join(map[string]any{"code": w.Code, "name": "Ana", "role": "staff"})
		b := dial(t, srv.URL)
		b.join(map[string]any{"code": w.Code, "role": "serviceUser"})
		online := func(c *wsClient, want map[string]bool) {
			t.Helper()
			for {
				var people []board.Person
				json.Unmarshal(c.expect("presence")["people"], &people)
				got := map[string]bool{}
				for _, p := range people {
					got[p.ID] = p.Online
				}
				if fmt.Sprint(got) == fmt.Sprint(want) {
					return
				}
			}
		}
		online(a, map[string]bool{a.you.ID: true, b.you.ID: true})
		// Someone who leaves with a card on the board stays listed, offline;
		// someone who leaves with nothing there drops out (lean presence).
		b.ack(b.op(addCard("mine", nil, nil)))
		b.ws.Close()
		online(a, map[string]bool{a.you.ID: true, b.you.ID: false})
		c := dial(t, srv.URL)
		c.join(map[string]any{"code": w.Code, "role": "serviceUser"})
		online(a, map[string]bool{a.you.ID: true, b.you.ID: false, c.you.ID: true})
		c.ws.Close()
		online(a, map[string]bool{a.you.ID: true, b.you.ID: false})
	})
}
