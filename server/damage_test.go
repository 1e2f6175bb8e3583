package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/withboard/withboard/hub/board"
)

// The write-ahead log's format, as README and hub/wal.go describe it.
const (
	segmentHeader = 24
	recordHeader  = 20
)

// ackedOps is how many cards a phone adds, each acknowledged, before the
// server is killed.
const ackedOps = 12

// written is a data directory a real server wrote and was killed over.
type written struct {
	dir   string
	w     created
	token string
	epoch string
	v     int64
}

// writeAndKill starts the server on a new data directory, has a phone add
// ackedOps cards and get an ack for each, and kills the server with
// SIGKILL.
func writeAndKill(t *testing.T) written {
	t.Helper()
	dir := t.TempDir()
	p := startProcess(t, nil, "-data", dir)
	w := createWorkshop(t, p.URL, "Damage matrix")
	c := dial(t, p.URL)
	c.join(map[string]any{"code": w.Code, "role": "serviceUser"})
	var ids []string
	for i := range ackedOps {
		ids = append(ids, c.op(addCard(cardText(i), nil, nil)))
	}
	var top int64
	for _, id := range ids {
		v, code := c.ack(id)
		if code != "" || v == 0 {
			t.Fatalf("op refused: %s", code)
		}
		top = max(top, v)
	}
	p.kill()
	return written{dir: dir, w: w, token: c.you.Token, epoch: c.epoch, v: top}
}

func cardText(i int) string { return fmt.Sprintf("acked card %02d", i) }

// logRecord is one record of a segment: where it starts and its payload.
type logRecord struct {
	at      int
	payload []byte
}

// lastSegment reads the newest segment of the data directory's log and
// splits it into records.
func lastSegment(t *testing.T, dir string) (string, []byte, []logRecord) {
	t.Helper()
	segs, _ := filepath.Glob(filepath.Join(dir, "wal", "*.log"))
	if len(segs) == 0 {
		t.Fatal("no log segment in the data directory")
	}
	slices.Sort(segs)
	path := segs[len(segs)-1]
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var recs []logRecord
	for pos := segmentHeader; pos+recordHeader <= len(data); {
		n := int(binary.LittleEndian.Uint32(data[pos+4:]))
		recs = append(recs, logRecord{pos, data[pos+recordHeader : pos+recordHeader+n]})
		pos += recordHeader + n
	}
	return path, data, recs
}

// recordOf returns the record whose payload holds text.
func recordOf(t *testing.T, recs []logRecord, text string) logRecord {
	t.Helper()
	for _, r := range recs {
		if bytes.Contains(r.payload, []byte(text)) {
			return r
		}
	}
	t.Fatalf("no record holds %q", text)
	return logRecord{}
}

// damage changes the data directory after the kill.
type damage func(t *testing.T, dir string) (file string)

func flipPayload(t *testing.T, dir string) string {
	path, data, recs := lastSegment(t, dir)
	r := recordOf(t, recs, cardText(5))
	data[r.at+recordHeader+len(r.payload)/2] ^= 0xff
	writeFile(t, path, data)
	return path
}

func flipLength(t *testing.T, dir string) string {
	path, data, recs := lastSegment(t, dir)
	r := recordOf(t, recs, cardText(5))
	data[r.at+5] ^= 0x01 // 256 bytes more than there are
	writeFile(t, path, data)
	return path
}

// tornTail leaves what a crash in the middle of a write leaves: one more
// record, cut short. It was never acknowledged.
func tornTail(t *testing.T, dir string) string {
	path, data, recs := lastSegment(t, dir)
	last := recs[len(recs)-1]
	rec := bytes.Clone(data[last.at : last.at+recordHeader+len(last.payload)])
	binary.LittleEndian.PutUint64(rec[8:], binary.LittleEndian.Uint64(rec[8:])+1)
	writeFile(t, path, append(data, rec[:len(rec)*2/3]...))
	return path
}

// zeroTail appends zeros, as a preallocated or zero-filled tail reads.
func zeroTail(t *testing.T, dir string) string {
	path, data, _ := lastSegment(t, dir)
	writeFile(t, path, append(data, make([]byte, 64<<10)...))
	return path
}

// flipBoardFile flips a byte in every copy of the workshop's record in the
// board file.
func flipBoardFile(t *testing.T, dir string) string {
	path := filepath.Join(dir, "withboard.db")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	what := []byte("Damage matrix")
	n := 0
	for i := bytes.Index(data, what); i >= 0; i = bytes.Index(data, what) {
		data[i+3] ^= 0x01
		n++
	}
	if n == 0 {
		t.Fatal("the workshop's title is not in the board file")
	}
	writeFile(t, path, data)
	return path
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// outcome is how a restart over damage may end, and nothing else:
type outcome int

const (
	allKept         outcome = iota // every acknowledged op is there, same epoch
	refused                        // the server will not start, and says what is damaged
	newEpoch                       // quarantined: a new epoch, the damage logged
	workshopRefused                // quarantined board file: the workshop is refused, logged
)

// TestDamageMatrix damages a data directory a real server wrote and was
// killed over, in each way a crash or a disk can, and restarts it: never
// does the old epoch come back with acknowledged ops missing.
func TestDamageMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	for _, tc := range []struct {
		name   string
		damage damage
		policy string
		want   outcome
	}{
		{"torn tail", tornTail, "", allKept},
		{"zero-filled tail", zeroTail, "", allKept},
		{"byte flipped in a payload", flipPayload, "", refused},
		{"byte flipped in a length", flipLength, "", refused},
		{"byte flipped in the board file", flipBoardFile, "", refused},
		{"byte flipped in a payload, quarantined", flipPayload, "quarantine", newEpoch},
		{"byte flipped in a length, quarantined", flipLength, "quarantine", newEpoch},
		{"byte flipped in the board file, quarantined", flipBoardFile, "quarantine", workshopRefused},
		{"torn tail, quarantined", tornTail, "quarantine", allKept},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wr := writeAndKill(t)
			file := tc.damage(t, wr.dir)
			var env []string
			if tc.policy != "" {
				env = []string{"DAMAGED_LOG=" + tc.policy}
			}
			p, out, err := startLogged(t, env, "-data", wr.dir)
			switch tc.want {
			case allKept:
				if err != nil {
					t.Fatalf("got %v, want a start", err)
				}
				wantAllKept(t, p.URL, wr)
			case refused:
				if err == nil {
					t.Fatal("the server started over damage; want a refusal")
				}
				t.Logf("refused: %s", out)
				for _, want := range []string{filepath.Base(file), "damaged", "DAMAGED_LOG=quarantine"} {
					if !strings.Contains(out.String(), want) {
						t.Errorf("got refusal %q, want it to say %q", out, want)
					}
				}
			case newEpoch:
				if err != nil {
					t.Fatalf("got %v, want a start", err)
				}
				wantLogged(t, out, "DAMAGED WRITE-AHEAD LOG", filepath.Base(file), "offset=", wr.w.ID)
				wantNewEpoch(t, p.URL, wr)
			case workshopRefused:
				if err != nil {
					t.Fatalf("got %v, want a start", err)
				}
				wantLogged(t, out, "DAMAGED DATABASE", wr.w.ID)
				wantJoinRefused(t, p.URL, wr)
				createWorkshop(t, p.URL, "Another") // the server serves the rest
			}
		})
	}
}

// wantAllKept checks every acknowledged card is on the board, in the same
// epoch, and that the phone resumes with ops.
func wantAllKept(t *testing.T, base string, wr written) {
	t.Helper()
	c := dial(t, base)
	welcome := c.join(map[string]any{"code": wr.w.Code, "token": wr.token, "since": wr.v, "epoch": wr.epoch})
	if c.epoch != wr.epoch || welcome["board"] != nil {
		t.Errorf("got epoch %q and a whole board (%v), want epoch %q and ops", c.epoch, welcome["board"] != nil, wr.epoch)
	}
	texts := boardTexts(t, dial(t, base).join(map[string]any{"code": wr.w.Code, "role": "staff"}))
	for i := range ackedOps {
		if !texts[cardText(i)] {
			t.Errorf("acknowledged card %d is missing", i)
		}
	}
}

// wantNewEpoch checks the phone, resuming from inside the old history,
// gets a whole board under a new epoch.
func wantNewEpoch(t *testing.T, base string, wr written) {
	t.Helper()
	c := dial(t, base)
	welcome := c.join(map[string]any{"code": wr.w.Code, "token": wr.token, "since": wr.v, "epoch": wr.epoch})
	if c.epoch == wr.epoch || c.epoch == "" {
		t.Errorf("got epoch %q after quarantine, want a new one", c.epoch)
	}
	if welcome["board"] == nil || welcome["ops"] != nil {
		t.Fatalf("got welcome %v, want a whole board and no ops", welcome)
	}
	if texts := boardTexts(t, welcome); !texts[cardText(0)] {
		t.Errorf("got cards %v, want those before the damage kept", texts)
	}
}

// wantJoinRefused checks a join to the damaged workshop gets an error,
// never a welcome.
func wantJoinRefused(t *testing.T, base string, wr written) {
	t.Helper()
	c := dial(t, base)
	c.sendJSON(map[string]any{"t": "join", "code": wr.w.Code, "token": wr.token})
	select {
	case f, ok := <-c.frames:
		if ok && str(f["t"]) != "error" {
			t.Errorf("got %s, want an error for a damaged workshop", f["t"])
		}
	case <-time.After(frameWait):
		t.Error("no answer to a join of a damaged workshop")
	}
}

func boardTexts(t *testing.T, welcome map[string]json.RawMessage) map[string]bool {
	t.Helper()
	var b board.BoardView
	if err := json.Unmarshal(welcome["board"], &b); err != nil {
		t.Fatal(err)
	}
	texts := map[string]bool{}
	for _, card := range b.Cards {
		if card.Text != nil {
			texts[*card.Text] = true
		}
	}
	return texts
}

func wantLogged(t *testing.T, out *syncBuffer, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(out.String(), want) {
			t.Errorf("got log %q, want it to say %q", out, want)
		}
	}
}

// startLogged runs the server binary and waits until it listens, keeping
// all it prints; if it exits first, it returns an error and its output.
func startLogged(t *testing.T, env []string, args ...string) (*process, *syncBuffer, error) {
	t.Helper()
	cmd := exec.Command(serverBinary(t), append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out := &syncBuffer{}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(io.TeeReader(stdout, out))
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				found <- addr
			}
		}
	}()
	p := &process{cmd: cmd}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Signal(syscall.SIGKILL)
			<-read
			cmd.Wait()
		}
	})
	select {
	case p.URL = <-found:
		return p, out, nil
	case <-read: // stdout closed: the process ended
		err := cmd.Wait()
		return nil, out, fmt.Errorf("server exited before listening: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start listening within 30s")
	}
	return nil, out, nil
}
