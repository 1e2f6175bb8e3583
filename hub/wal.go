package hub

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// The embedded store's write-ahead log is a directory of segment files,
// named by a sequence number and written one after another. A segment
// starts with a header and goes on with records:
//
//	segment header (24 bytes): magic "WBWAL\x00\x02\n" | first record number (uint64)
//	                           | zero (uint32) | CRC-32C of the 20 bytes before (uint32)
//	record header (20 bytes):  CRC-32C (uint32) | payload length (uint32)
//	                           | record number (uint64) | place in its write group (uint32)
//	payload
//
// All numbers are little endian. A record's checksum covers the rest of
// its header and its payload, so a damaged length is caught like a damaged
// payload. Records are numbered one after another across segments, and
// each knows how many records of its write group (one write and one
// fsync) come before it: a group is acknowledged only once it is fsynced,
// and the next group is written only after that.
//
// So when a record fails its checks, what follows tells a torn tail from
// damage. A crash can only tear the last group: its bytes may be missing
// (the file ends early) or read as zeros. Any valid record of a later
// group after the bad one, a segment that is not the last, a whole record
// with a bad checksum and no zeros in it, or a record that is whole once
// its length is corrected, is damage to something acknowledged.
//
// Segments written before this format have no header, and records of
// length | CRC-32C of payload | payload; they are still read (the first
// open after an upgrade copies them into bbolt and removes them), and in
// them any bad record except an incomplete or zero tail is damage.

const (
	walDirName = "wal"
	// walRecordMax bounds a record; anything larger is taken as damage.
	walRecordMax = 8 << 20
	// segmentMax is the size at which the writer starts a new segment.
	segmentMax = 16 << 20

	segmentHeaderSize = 24
	recordHeaderSize  = 20
	// tornZeros is the least run of zeros in a whole record with a bad
	// checksum for it to be taken as torn: disks lose whole sectors, bits
	// that rot do not come as runs of zeros.
	tornZeros = 8
)

var (
	walCRC       = crc32.MakeTable(crc32.Castagnoli)
	segmentMagic = []byte("WBWAL\x00\x02\n")
)

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

// segmentHeader is the start of a segment whose first record is first.
func segmentHeader(first uint64) []byte {
	b := append(make([]byte, 0, segmentHeaderSize), segmentMagic...)
	b = binary.LittleEndian.AppendUint64(b, first)
	b = binary.LittleEndian.AppendUint32(b, 0)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, walCRC))
}

// appendRecord frames payload onto buf as record lsn, the place-th of its
// write group.
func appendRecord(buf []byte, lsn uint64, place uint32, payload []byte) []byte {
	start := len(buf)
	buf = binary.LittleEndian.AppendUint32(buf, 0)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(payload)))
	buf = binary.LittleEndian.AppendUint64(buf, lsn)
	buf = binary.LittleEndian.AppendUint32(buf, place)
	buf = append(buf, payload...)
	binary.LittleEndian.PutUint32(buf[start:], crc32.Checksum(buf[start+4:], walCRC))
	return buf
}

// record is a record header as read, and whether its checksum holds.
type record struct {
	length uint32
	lsn    uint64
	place  uint32
	valid  bool // whole, within bounds, checksum right
}

// size is the record's length on disk.
func (r record) size() int { return recordHeaderSize + int(r.length) }

// groupStart is the number of the first record of r's write group.
func (r record) groupStart() uint64 { return r.lsn - uint64(r.place) }

// readRecord reads the record at the start of b, which must hold a
// whole header.
func readRecord(b []byte) record {
	r := record{
		length: binary.LittleEndian.Uint32(b[4:]),
		lsn:    binary.LittleEndian.Uint64(b[8:]),
		place:  binary.LittleEndian.Uint32(b[16:]),
	}
	r.valid = r.length <= walRecordMax && r.size() <= len(b) &&
		crc32.Checksum(b[4:r.size()], walCRC) == binary.LittleEndian.Uint32(b)
	return r
}

// findRecord returns the offset of the first valid record at or after
// from that is numbered after prev, as a record that follows damage is.
func findRecord(data []byte, from int, prev uint64) (int, record, bool) {
	most := prev + uint64(len(data)/recordHeaderSize) + 1
	for off := from; off+recordHeaderSize <= len(data); off++ {
		if lsn := binary.LittleEndian.Uint64(data[off+8:]); lsn <= prev || lsn > most {
			continue // cheap test first: most offsets fail it
		}
		if r := readRecord(data[off:]); r.valid {
			return off, r, true
		}
	}
	return 0, record{}, false
}

// segmentRead is what reading a segment found.
type segmentRead struct {
	last    uint64 // number of the last record read, 0 if none
	torn    string // why the tail was dropped, if it was torn
	tornAt  int
	damage  []*DamageError // damage read past (only when reading on)
	skipped bool           // fn skipped records: the segment is not all in the store
}

// scanSegment calls fn with the payload of each record of a segment in
// order. prev is the number of the record before the segment's first (0
// when not known), last says whether the segment is the one written last
// (the only one that can end torn), and readOn whether to read on past
// damage to the valid records after it. Without readOn, damage is
// returned as a *DamageError. fn returns errSkip to leave a record out.
func scanSegment(path string, data []byte, prev uint64, last, readOn bool, fn func([]byte) error) (segmentRead, error) {
	var res segmentRead
	damaged := func(at int, reason string) error {
		d := &DamageError{File: path, Offset: int64(at), Reason: reason}
		res.damage = append(res.damage, d)
		if readOn {
			return nil
		}
		return d
	}
	call := func(at int, payload []byte) error {
		err := fn(payload)
		if err == errSkip {
			res.skipped = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s at byte %d: %w", path, at, err)
		}
		return nil
	}
	switch {
	case len(data) == 0:
		return res, nil
	case len(data) < segmentHeaderSize && last && (allZero(data) || bytes.HasPrefix(segmentMagic, data[:min(len(data), len(segmentMagic))])):
		res.torn, res.tornAt = "segment header incomplete", 0
		return res, nil
	case len(data) >= 4 && !bytes.HasPrefix(data, segmentMagic) && binary.LittleEndian.Uint32(data) <= walRecordMax:
		return scanOldSegment(path, data, last, damaged, call, res)
	case len(data) < segmentHeaderSize || !bytes.HasPrefix(data, segmentMagic) ||
		crc32.Checksum(data[:20], walCRC) != binary.LittleEndian.Uint32(data[20:]):
		return res, damaged(0, "segment header damaged")
	}
	first := binary.LittleEndian.Uint64(data[8:])
	if prev != 0 && first != prev+1 {
		err := damaged(0, fmt.Sprintf("segment starts at record %d, but the one before ended at record %d: records are missing", first, prev))
		if err != nil {
			return res, err
		}
	}
	pos, next := segmentHeaderSize, first
	for pos < len(data) {
		if len(data)-pos >= recordHeaderSize {
			if r := readRecord(data[pos:]); r.valid && r.lsn == next {
				if err := call(pos, data[pos+recordHeaderSize:pos+r.size()]); err != nil {
					return res, err
				}
				pos += r.size()
				res.last, next = r.lsn, r.lsn+1
				continue
			}
		}
		torn, reason := classify(data, pos, next, last)
		if torn {
			res.torn, res.tornAt = reason, pos
			return res, nil
		}
		if err := damaged(pos, reason); err != nil {
			return res, err
		}
		off, r, ok := findRecord(data, pos+1, next-1)
		if !ok {
			return res, nil
		}
		pos, next = off, r.lsn
	}
	return res, nil
}

// classify says whether the bad record at pos, which should be record
// next, is a torn tail, and why it is bad.
func classify(data []byte, pos int, next uint64, last bool) (torn bool, reason string) {
	rest := data[pos:]
	var r record
	switch {
	case len(rest) < recordHeaderSize:
		reason = "incomplete record header"
	default:
		r = readRecord(rest)
		switch {
		case r.valid:
			reason = fmt.Sprintf("record %d where record %d was expected", r.lsn, next)
		case r.length > walRecordMax:
			reason = fmt.Sprintf("record length %d out of range", r.length)
		case r.size() > len(rest):
			reason = fmt.Sprintf("record length %d runs past the end of the file (%d bytes left)", r.length, len(rest)-recordHeaderSize)
		default:
			reason = "checksum mismatch"
		}
	}
	switch {
	case !last:
		return false, reason + " in a segment that was written whole"
	case allZero(rest):
		return true, "zeros past the end"
	case laterGroupFollows(data, pos, next):
		return false, reason + ", and records written after it follow"
	case len(rest) < recordHeaderSize:
		return true, reason
	case allZero(rest[:recordHeaderSize]): // a real header has a record number
		return true, "last record not written whole"
	case r.valid || r.length > walRecordMax:
		return false, reason
	case r.size() > len(rest):
		if wholeButLength(rest) {
			return false, reason + ": the record is whole, its length is damaged"
		}
		return true, "last record incomplete"
	case zeroRun(rest[recordHeaderSize:r.size()], data[pos+r.size():]) >= tornZeros:
		return true, "last record not written whole"
	}
	return false, reason
}

// laterGroupFollows reports whether a valid record after pos belongs to a
// write group begun after record next, which proves next was fsynced.
func laterGroupFollows(data []byte, pos int, next uint64) bool {
	for from := pos + 1; ; {
		off, r, ok := findRecord(data, from, next-1)
		if !ok {
			return false
		}
		if r.groupStart() > next {
			return true
		}
		from = off + r.size()
	}
}

// wholeButLength reports whether rest, a record whose length runs past
// the end, passes its checksum with the length of what is there (without
// any zeros that follow it): a damaged length, not a torn write.
func wholeButLength(rest []byte) bool {
	body := rest[recordHeaderSize:]
	for _, n := range []int{len(body), len(bytes.TrimRight(body, "\x00"))} {
		c := crc32.Update(0, walCRC, binary.LittleEndian.AppendUint32(nil, uint32(n)))
		c = crc32.Update(c, walCRC, rest[8:recordHeaderSize])
		if crc32.Update(c, walCRC, body[:n]) == binary.LittleEndian.Uint32(rest) {
			return true
		}
	}
	return false
}

// zeroRun is the longest run of zero bytes in rec, counting a run at its
// end as going on into after when all of after is zero.
func zeroRun(rec, after []byte) int {
	best, run := 0, 0
	for _, c := range rec {
		if c == 0 {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	if run > 0 && allZero(after) {
		best = max(best, run+len(after))
	}
	return best
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// scanOldSegment reads a segment of the format before record numbers.
// Damage in it cannot be read past: with readOn the rest is left out.
func scanOldSegment(path string, data []byte, last bool, damaged func(int, string) error, call func(int, []byte) error, res segmentRead) (segmentRead, error) {
	for pos := 0; pos < len(data); {
		rest := data[pos:]
		if len(rest) >= 8 {
			n := int(binary.LittleEndian.Uint32(rest))
			if n > 0 && n <= walRecordMax && 8+n <= len(rest) && crc32.Checksum(rest[8:8+n], walCRC) == binary.LittleEndian.Uint32(rest[4:]) {
				if err := call(pos, rest[8:8+n]); err != nil {
					return res, err
				}
				pos += 8 + n
				continue
			}
			if last && (allZero(rest) || (n <= walRecordMax && 8+n > len(rest))) {
				res.torn, res.tornAt = "last record incomplete", pos
				return res, nil
			}
		} else if last {
			res.torn, res.tornAt = "incomplete record header", pos
			return res, nil
		}
		return res, damaged(pos, "damaged record in a log of the old format")
	}
	return res, nil
}

// createSegment starts a new segment whose first record will be first,
// and makes it and its name durable.
func createSegment(dir string, seq, first uint64) (*os.File, error) {
	f, err := os.OpenFile(segmentPath(dir, seq), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	_, err = f.Write(segmentHeader(first))
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		// Leave no file behind: a segment after the current one would make
		// the current one's tail read as damage rather than torn.
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}

// truncateSegment cuts the segment at path back to size and makes that
// durable. It opens the file afresh: after a failed write or fsync the
// state of the handle that failed is not to be trusted.
func truncateSegment(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// haveRoom reports whether n bytes can be written in dir, by writing them
// to a file there, with an fsync, and removing it.
func haveRoom(dir string, n int) error {
	path := filepath.Join(dir, "room.probe")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer os.Remove(path)
	_, err = f.Write(make([]byte, n))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
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
