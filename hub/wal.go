package hub

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// The embedded store's write-ahead log is a directory of segment files,
// named by a sequence number and written one after another. A segment is a
// run of records, each
//
//	length (uint32, little endian) | CRC-32C of payload (uint32) | payload
//
// Records are only ever appended, and a group of them is fsynced before
// any of their appends is acknowledged. After a crash the last record may
// be torn; reading stops at the first record that is short or fails its
// checksum, which can only be one that was never acknowledged.

const (
	walDirName = "wal"
	// walRecordMax bounds a record; anything larger is taken as damage.
	walRecordMax = 8 << 20
	// segmentMax is the size at which the writer starts a new segment.
	segmentMax = 16 << 20
)

var walCRC = crc32.MakeTable(crc32.Castagnoli)

// segment is one file of the log.
type segment struct {
	seq  uint64
	path string
}

func segmentPath(dir string, seq uint64) string {
	return filepath.Join(dir, fmt.Sprintf("%016x.log", seq))
}

// listSegments returns the log's segments in the order they were written.
func listSegments(dir string) ([]segment, error) {
	names, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []segment
	for _, n := range names {
		hex, ok := strings.CutSuffix(n.Name(), ".log")
		if !ok || n.IsDir() {
			continue
		}
		seq, err := strconv.ParseUint(hex, 16, 64)
		if err != nil {
			continue
		}
		out = append(out, segment{seq: seq, path: filepath.Join(dir, n.Name())})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out, nil
}

// appendRecord frames payload onto buf.
func appendRecord(buf, payload []byte) []byte {
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(payload)))
	buf = binary.LittleEndian.AppendUint32(buf, crc32.Checksum(payload, walCRC))
	return append(buf, payload...)
}

// errTorn reports a segment that ends in a partial or damaged record.
var errTorn = errors.New("torn record")

// readSegment calls fn with each record's payload in order. It returns
// errTorn if the segment ends in a record that is incomplete or fails its
// checksum (whatever follows it is not read), or fn's error.
func readSegment(path string, fn func(payload []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	var head [8]byte
	var payload []byte
	for {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			if err == io.EOF {
				return nil
			}
			if err == io.ErrUnexpectedEOF {
				return errTorn
			}
			return err
		}
		n := binary.LittleEndian.Uint32(head[:4])
		if n > walRecordMax {
			return errTorn
		}
		if cap(payload) < int(n) {
			payload = make([]byte, n)
		}
		payload = payload[:n]
		if _, err := io.ReadFull(r, payload); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return errTorn
			}
			return err
		}
		if crc32.Checksum(payload, walCRC) != binary.LittleEndian.Uint32(head[4:]) {
			return errTorn
		}
		if err := fn(payload); err != nil {
			return err
		}
	}
}

// createSegment starts a new, empty segment and makes its name durable.
func createSegment(dir string, seq uint64) (*os.File, error) {
	f, err := os.OpenFile(segmentPath(dir, seq), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syncDir(dir); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// syncDir fsyncs a directory, so that files created in it survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
