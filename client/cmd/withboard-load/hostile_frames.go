package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// serverMaxFrame is the server's limit on one text frame (the contract's
// 16 KiB); the oversized attack sends frames past it.
const serverMaxFrame = 16 << 10

// attackPrefix starts every op id an attacker sends, so that an honest
// phone that receives one of them as an op knows an attack changed the
// board.
const attackPrefix = "0bad0bad-"

func isAttackID(id string) bool { return strings.HasPrefix(id, attackPrefix) }

// attackID is a UUID-shaped id that starts with attackPrefix.
func attackID() string {
	var b [14]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return attackPrefix + h[0:4] + "-8" + h[4:7] + "-8" + h[7:10] + "-" + h[10:22]
}

// codeAlphabet is the join code alphabet of the contract.
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// randomCode is a join code that a guesser would try.
func randomCode() string {
	var b [6]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b[:])
}

// oversizedOp is a well-formed card.add op of more than n bytes: the
// server must close the connection with 1009 and add nothing.
func oversizedOp(n int) []byte {
	text := strings.Repeat("x", n)
	return fmt.Appendf(nil, `{"t":"op","id":"%s","op":{"kind":"card.add","card":{"id":"%s","text":"%s","stage":"plan","level":"consultation"}}}`,
		attackID(), newUUID(), text)
}

// oversizedJoin is a join of more than n bytes, sent as a first frame.
func oversizedJoin(code string, n int) []byte {
	return fmt.Appendf(nil, `{"t":"join","code":%q,"role":"staff","name":"%s"}`, code, strings.Repeat("n", n))
}

// malformed is a frame that is not an op the server may accept: not
// JSON, JSON of the wrong shape, or an op of an unknown kind.
type malformed struct {
	name   string
	json   bool // whether the frame is valid JSON at all
	answer string
	frame  func() []byte
}

// malformedFrames are the frames the malformed attack sends after join;
// each must be answered with nack invalid (or rateLimited, past the op
// rate) and change nothing.
var malformedFrames = []malformed{
	{"not JSON", false, "invalid", func() []byte { return []byte("hello, is this the board?") }},
	{"truncated", false, "invalid", func() []byte { return []byte(`{"t":"op","id":"` + attackID() + `","op":{"kind":"card.add"`) }},
	{"binary noise", false, "invalid", func() []byte {
		b := make([]byte, 64)
		rand.Read(b)
		b[0] = 0xff // never valid UTF-8, so never JSON
		return b
	}},
	{"null", true, "invalid", func() []byte { return []byte(`null`) }},
	{"array", true, "invalid", func() []byte { return []byte(`[{"t":"op"}]`) }},
	{"unknown t", true, "invalid", func() []byte { return []byte(`{"t":"dance","id":"` + attackID() + `"}`) }},
	{"id of the wrong type", true, "invalid", func() []byte { return []byte(`{"t":"op","id":5,"op":{"kind":"card.delete","cardId":"x"}}`) }},
	{"missing op", true, "invalid", func() []byte { return []byte(`{"t":"op","id":"` + attackID() + `"}`) }},
	{"unknown kind", true, "invalid", func() []byte {
		return []byte(`{"t":"op","id":"` + attackID() + `","op":{"kind":"card.fly","cardId":"x"}}`)
	}},
	{"delta of the wrong type", true, "invalid", func() []byte {
		return []byte(`{"t":"op","id":"` + attackID() + `","op":{"kind":"card.vote","cardId":"` + newUUID() + `","delta":"lots"}}`)
	}},
	{"card of the wrong shape", true, "invalid", func() []byte {
		return []byte(`{"t":"op","id":"` + attackID() + `","op":{"kind":"card.add","card":["` + newUUID() + `","text"]}}`)
	}},
	{"stage that does not exist", true, "invalid", func() []byte {
		return []byte(`{"t":"op","id":"` + attackID() + `","op":{"kind":"card.add","card":{"id":"` + newUUID() + `","text":"x","stage":"nowhere","level":"consultation"}}}`)
	}},
	{"deeply nested", true, "invalid", func() []byte {
		return []byte(`{"t":"op","id":"` + attackID() + `","op":{"kind":"card.add","card":` + strings.Repeat("[", 3000) + strings.Repeat("]", 3000) + `}}`)
	}},
	{"second join", true, "invalid", func() []byte { return []byte(`{"t":"join","code":"AAAAAA","role":"staff"}`) }},
}

// refusedError is a WebSocket upgrade the server answered with an HTTP
// status (429 rate limited, 503 full) instead of switching protocols.
type refusedError struct{ status int }

func (e *refusedError) Error() string { return fmt.Sprintf("upgrade refused: %d", e.status) }

// dialFrom opens a WebSocket from src. A rcvBuf above zero shrinks the
// socket's receive buffer, so that a reader that never reads is found out
// sooner.
func dialFrom(ctx context.Context, base string, src *net.TCPAddr, rcvBuf int) (*websocket.Conn, error) {
	d := dialer
	nd := &net.Dialer{LocalAddr: src, Timeout: dialWait}
	if rcvBuf > 0 {
		nd.Control = func(_, _ string, c syscall.RawConn) error {
			return c.Control(func(fd uintptr) {
				syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvBuf)
			})
		}
	}
	d.NetDialContext = nd.DialContext
	ws, resp, err := d.DialContext(ctx, "ws"+base[len("http"):]+"/ws", nil)
	if err != nil {
		if resp != nil {
			return nil, &refusedError{resp.StatusCode}
		}
		return nil, err
	}
	return ws, nil
}

// outcome names how an attempt ended, for the tallies.
func outcome(err error) string {
	var re *refusedError
	var ce *websocket.CloseError
	var ne net.Error
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &re):
		return fmt.Sprintf("http %d", re.status)
	case errors.As(err, &ce):
		return fmt.Sprintf("close %d", ce.Code)
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	default:
		return "connection error"
	}
}

// joinAnswer is what a join came back with: welcome's type, or the error
// frame's code.
type joinAnswer struct {
	T, Code, Token, Epoch string
	V                     int64
	resumed               bool // welcome carried ops, not a board
}

// joinWith sends a join frame and reads until welcome or error.
func joinWith(ws *websocket.Conn, frame []byte) (joinAnswer, error) {
	ws.SetReadDeadline(time.Now().Add(joinWait))
	defer ws.SetReadDeadline(time.Time{})
	if err := ws.WriteMessage(websocket.TextMessage, frame); err != nil {
		return joinAnswer{}, err
	}
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return joinAnswer{}, err
		}
		switch {
		case bytes.HasPrefix(data, []byte(`{"t":"welcome",`)):
			var f honestFrame
			if err := decodeJSON(bytes.NewReader(data), &f); err != nil {
				return joinAnswer{}, err
			}
			return joinAnswer{T: "welcome", Token: f.You.Token, Epoch: f.Epoch, V: f.V, resumed: f.Board == nil}, nil
		case bytes.HasPrefix(data, pError):
			var f struct{ Code string }
			decodeJSON(bytes.NewReader(data), &f)
			return joinAnswer{T: "error", Code: f.Code}, nil
		}
	}
}

// answerName names a join's answer for a tally.
func (a joinAnswer) name() string {
	if a.T == "error" {
		return a.Code
	}
	return a.T
}

// httpStatus names an HTTP answer for a tally.
func httpStatus(resp *http.Response, err error) string {
	if err != nil {
		return outcome(err)
	}
	return fmt.Sprint(resp.StatusCode)
}

// sortByCount orders keys by their count, largest first.
func sortByCount(keys []string, n map[string]uint64) {
	sort.Slice(keys, func(i, j int) bool {
		if n[keys[i]] != n[keys[j]] {
			return n[keys[i]] > n[keys[j]]
		}
		return keys[i] < keys[j]
	})
}
