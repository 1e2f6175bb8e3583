package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// The baseline is the bare broadcast loop of gorilla/websocket's chat
// example, speaking just enough of the wire contract for the load
// generator: a goroutine per group numbers each op and queues it to every
// member; each connection has a reader and a writer. No board, no rules,
// no store. It shows what the machine can do with the same sockets.

const (
	baseSendQueue = 512
	baseMaxFrame  = 16 << 10
)

var baseUpgrader = websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 1024}

type baseServer struct {
	mu     sync.Mutex // guards groups
	groups map[string]*baseGroup
}

type baseGroup struct {
	join  chan *baseConn
	leave chan *baseConn
	ops   chan baseOp
}

type baseConn struct {
	ws   *websocket.Conn
	id   string
	send chan []byte
}

type baseOp struct {
	from *baseConn
	id   string
	op   json.RawMessage
}

// serveBaseline runs the baseline server on addr until ctx ends.
func serveBaseline(ctx context.Context, addr string, stdout io.Writer) error {
	s := &baseServer{groups: map[string]*baseGroup{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/workshops", func(w http.ResponseWriter, r *http.Request) {
		code := rand.Text()[:8]
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id":%q,"code":%q,"title":"baseline","facilitatorKey":"none"}`, code, code)
	})
	mux.HandleFunc("DELETE /api/workshops/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent) // groups live as long as the process
	})
	mux.HandleFunc("GET /ws", s.serveWS)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux}
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}

func (s *baseServer) group(code string) *baseGroup {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[code]
	if g == nil {
		g = &baseGroup{join: make(chan *baseConn), leave: make(chan *baseConn), ops: make(chan baseOp, 256)}
		s.groups[code] = g
		go g.run()
	}
	return g
}

// run is the group's broadcast loop; groups live as long as the process.
func (g *baseGroup) run() {
	members := map[*baseConn]bool{}
	var v int64
	for {
		select {
		case c := <-g.join:
			members[c] = true
			c.send <- fmt.Appendf(nil, `{"t":"welcome","you":{"id":%q,"name":"","role":"serviceUser","token":""},"epoch":"baseline","v":%d,"board":{"voteBudget":3,"cards":[]}}`, c.id, v)
		case c := <-g.leave:
			if members[c] {
				delete(members, c)
				close(c.send)
			}
		case o := <-g.ops:
			v++
			at := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
			frame := fmt.Appendf(nil, `{"t":"op","v":%d,"id":%q,"by":%q,"byRole":"serviceUser","at":%q,"op":%s}`, v, o.id, o.from.id, at, o.op)
			ack := []byte(`{"t":"ack","id":"` + o.id + `","v":` + strconv.FormatInt(v, 10) + `}`)
			for c := range members {
				select {
				case c.send <- frame:
				default:
					delete(members, c)
					close(c.send)
				}
			}
			if members[o.from] {
				select {
				case o.from.send <- ack:
				default:
				}
			}
		}
	}
}

func (s *baseServer) serveWS(w http.ResponseWriter, r *http.Request) {
	ws, err := baseUpgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	ws.SetReadLimit(baseMaxFrame)
	var join struct{ T, Code string }
	if _, data, err := ws.ReadMessage(); err != nil || json.Unmarshal(data, &join) != nil || join.T != "join" {
		ws.Close()
		return
	}
	c := &baseConn{ws: ws, id: newUUID(), send: make(chan []byte, baseSendQueue)}
	g := s.group(join.Code)
	g.join <- c
	go c.write()
	defer func() { g.leave <- c }()
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		var f struct {
			T  string          `json:"t"`
			ID string          `json:"id"`
			Op json.RawMessage `json:"op"`
		}
		if json.Unmarshal(data, &f) != nil || f.T != "op" {
			continue
		}
		g.ops <- baseOp{from: c, id: f.ID, op: f.Op}
	}
}

func (c *baseConn) write() {
	defer c.ws.Close()
	for frame := range c.send {
		c.ws.SetWriteDeadline(time.Now().Add(writeWait))
		if err := c.ws.WriteMessage(websocket.TextMessage, frame); err != nil {
			return
		}
	}
}
